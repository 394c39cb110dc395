#include "daemon/health_api.h"

namespace casesync {

void register_health_routes(httplib::Server&, NodeRuntime&) {}

}  // namespace casesync
