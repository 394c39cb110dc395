// casesyncctl's district policy commands (docs/POLICY.md):
//   policy publish --calendar FILE --matters FILE --root-key KEY [--version N]
//       checks both files (FILE:LINE errors, nothing sent), signs them as the district's next
//       version and hands the bundle to the district named by --config (or --api), which
//       installs it and pushes it down the tree. Prints the new version.
//   policy show [--json]      version, signed_at, calendar_years, matters, digest of a node
//   matters import FILE.csv --out matters.toml
//       the district's catalogue export (UTF-8 CSV) to the matters file `publish` takes.
#pragma once

namespace casesync {

struct Cli;  // cli/cli_common.h

int cmd_policy(Cli& cli);
int cmd_matters_import(Cli& cli);

}  // namespace casesync
