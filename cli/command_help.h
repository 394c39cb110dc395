// Help and usage errors for casesyncctl: `casesyncctl CMD [SUB] --help` prints that command's
// entries of cli/usage.h (exit 0); a usage error is one line plus `see: casesyncctl CMD --help`
// (exit 2), never the whole manual.
#pragma once

#include <string>
#include <vector>

namespace casesync {

// The help topic of an invocation: "case show" when an entry is named so, else "case" when the
// command has entries, else "" (the whole help).
std::string help_topic(const std::string& command, const std::vector<std::string>& args);
// Whether cli/usage.h documents `command` (its first word).
bool has_help(const std::string& command);
// The entries of `topic` (every command when empty) on stdout, translated.
void print_help(const std::string& topic);
// "casesyncctl: MESSAGE" and the see-line on stderr.
void print_usage_error(const std::string& topic, const std::string& message);

}  // namespace casesync
