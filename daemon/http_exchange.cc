#include "daemon/http_exchange.h"

#include <unistd.h>

#include <cassert>

namespace casesync {
namespace {
thread_local Exchange* t_current = nullptr;

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return "Status";
  }
}
}  // namespace

Exchange* Exchange::current() { return t_current; }

Exchange::~Exchange() {
  if (file_fd_ >= 0) ::close(file_fd_);
}

void Exchange::park(ChangeWaiters::Waiter waiter) {
  assert(!deferred() && "one deferred answer per request");
  waiter.conn_id = conn_id_;
  parked_ = std::move(waiter);
}

void Exchange::send_file(std::string head, int fd, std::uint64_t bytes) {
  assert(!deferred() && "one deferred answer per request");
  file_head_ = std::move(head);
  file_fd_ = fd;
  file_bytes_ = bytes;
}

ExchangeScope::ExchangeScope(Exchange* exchange) : previous_(t_current) { t_current = exchange; }
ExchangeScope::~ExchangeScope() { t_current = previous_; }

std::string http_head(int status, const std::string& content_type, std::uint64_t body_bytes,
                      bool keep_alive, const std::string& extra) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  out += "Content-Type: " + content_type + "\r\n";
  out += "Content-Length: " + std::to_string(body_bytes) + "\r\n";
  out += extra;
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  return out;
}

std::string http_answer(int status, const std::string& content_type, const std::string& body,
                        bool keep_alive) {
  return http_head(status, content_type, body.size(), keep_alive) + body;
}

}  // namespace casesync
