// The names of statuses, hop stages, stall causes (attribution), event kinds, outcomes and
// health states as people read them: the English value (JSON's, unchanged) is the msgid, so the
// Chinese label is tr(value) (已受理, 已签收, 未签收 ...). Listed here so xgettext sees them; a
// value not listed is shown as it is.
#pragma once

#include <string>

#include "common/translate.h"

namespace casesync {

// clang-format off
inline constexpr const char* kValueLabels[] = {
    // case statuses and hop stages (sync/case_state.cc)
    N_("received"), N_("prereviewed"), N_("forwarded"), N_("delivered"), N_("accepted"),
    N_("supplement_requested"), N_("answered"), N_("returned"), N_("completed"),
    N_("withdrawn"), N_("reopened"),
    // what a stall waits for (sync/stall_fold.cc), why (attribution), how late (level)
    N_("delivery"), N_("accept"), N_("answer"), N_("case"),
    N_("silent"), N_("not_accepted"), N_("unreachable"),
    N_("warning"), N_("overdue"),
    // event kinds not named above (sync/case_kinds.h)
    N_("case_created"), N_("replied"), N_("supplement_provided"), N_("notified"), N_("edited"),
    N_("note"), N_("viewed_full"), N_("stall_seen"),
    // outcomes
    N_("approved"), N_("denied"),
    // a node's health (daemon/health_state.cc)
    N_("in_step"), N_("lagging"), N_("offline"), N_("clock_skewed"), N_("disk_trouble"),
    N_("security_alert"),
};
// clang-format on

inline std::string label(const std::string& value) { return tr(value); }

}  // namespace casesync
