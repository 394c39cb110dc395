#include "cli/command_help.h"

#include <cstdio>
#include <string_view>

#include "cli/usage.h"
#include "common/translate.h"

namespace casesync {

namespace {

bool starts_with_words(std::string_view command, std::string_view topic) {
  return command == topic ||
         (command.size() > topic.size() && command.rfind(topic, 0) == 0 && command[topic.size()] == ' ');
}

bool has_entry(const std::string& topic, bool exact) {
  for (const CommandHelp& h : kCommandHelp) {
    if (exact ? topic == h.command : starts_with_words(h.command, topic)) return true;
  }
  return false;
}

// Each line of `text` after `indent` spaces.
void print_indented(const char* text, const char* indent) {
  std::string_view rest(text);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    std::printf("%s%.*s\n", line.empty() ? "" : indent, static_cast<int>(line.size()), line.data());
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
}

void print_entry(const CommandHelp& h) {
  std::string_view synopsis(h.synopsis);
  const std::size_t first_end = synopsis.find('\n');
  std::printf("  %.*s\n", static_cast<int>(synopsis.substr(0, first_end).size()), synopsis.data());
  if (first_end != std::string_view::npos) print_indented(h.synopsis + first_end + 1, "      ");
  print_indented(tr(h.summary), "        ");
}

}  // namespace

std::string help_topic(const std::string& command, const std::vector<std::string>& args) {
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    const std::string two = command + " " + args[0];
    if (has_entry(two, /*exact=*/true)) return two;
  }
  return has_help(command) ? command : "";
}

bool has_help(const std::string& command) { return !command.empty() && has_entry(command, false); }

void print_help(const std::string& topic) {
  std::printf("%s %s\n\n", tr("Usage:"), kUsageLine);
  if (topic.empty()) std::printf("%s\n\n%s\n", tr(kUsageIntro), tr("Commands:"));
  for (const CommandHelp& h : kCommandHelp) {
    if (topic.empty() || starts_with_words(h.command, topic)) print_entry(h);
  }
  if (topic.empty()) {
    std::printf("\n%s\n", tr(kUsageFooter));
  } else {
    std::printf("\n%s\n", tr("Global options, exit status and --json: casesyncctl --help"));
  }
}

void print_usage_error(const std::string& topic, const std::string& message) {
  const std::string see = topic.empty() ? "casesyncctl --help" : "casesyncctl " + topic + " --help";
  std::fprintf(stderr, "casesyncctl: %s\n%s %s\n", message.c_str(), tr("see:"), see.c_str());
}

}  // namespace casesync
