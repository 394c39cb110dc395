// Webhooks: the node's [[webhook]] receivers (issue 19). Every event this node stores — its own
// and its peers' — is POSTed to each receiver at least once, in the order the node stored it
// (so in order per case), signed with HMAC-SHA256; failures back off exponentially with jitter
// and end as dead letters, shown in `casesyncctl status`, `health` and /metrics and resent by
// `casesyncctl webhook retry NAME`. Receivers dedupe by the event's hash (docs/API.md).
//
// Delivery is I/O on threads of its own (daemon/webhook_sender.h, one per webhook): the event
// loop only tells them that something was stored (changed()) and runs their short reads of the
// log, so a slow or dead receiver never delays the loop. Progress is in DATA_DIR/webhooks.db
// (daemon/webhook_store.h). Webhook changes in the config take effect on restart.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/webhook_sender.h"
#include "daemon/webhook_store.h"

namespace casesync {

class NodeRuntime;

class Webhooks {
 public:
  // Opens DATA_DIR/webhooks.db and clamps every cursor to the node's log (a database restored
  // from a backup ends earlier). On the main thread, before the loop runs. "*rt" must outlive
  // the result.
  static Result<std::unique_ptr<Webhooks>> open(NodeRuntime* rt);
  ~Webhooks();

  void start();
  // Stops every sender; a fetch still queued for the loop is abandoned.
  void stop();
  // New events were stored (the loop thread).
  void changed();
  // Dead letters of `name` queued for another round: how many; nullopt for an unknown name.
  std::optional<std::uint64_t> retry(const std::string& name);
  std::vector<WebhookStatus> statuses() const;
  std::vector<std::string> names() const;

 private:
  explicit Webhooks(NodeRuntime* rt) : rt_(rt) {}
  std::optional<std::vector<EventRecord>> fetch(std::uint64_t after, std::size_t max);

  struct Shared;  // what a fetch queued for the loop may still touch after stop()
  NodeRuntime* rt_;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<WebhookStore> store_;
  std::vector<std::unique_ptr<WebhookSender>> senders_;
};

}  // namespace casesync
