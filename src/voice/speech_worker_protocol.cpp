#include "voice/speech_worker_protocol.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace prism::voice::speech_worker {
namespace {

constexpr size_t kHeaderBytes = 5;

// Waits until `fd` is ready for `events` or the deadline passes.
IoResult wait_for(int fd, short events, const Deadline& deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) return {IoStatus::timed_out};
      timeout_ms = static_cast<int>(std::min<long long>(left, 1 << 30));
    }
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return {};  // readable, writable, or hung up: the next call says which
    if (n == 0) return {IoStatus::timed_out};
    if (errno != EINTR) return {IoStatus::failed, errno};
  }
}

bool peer_gone(int error) { return error == EPIPE || error == ECONNRESET; }

IoResult send_all(int fd, const char* data, size_t size, const Deadline& deadline) {
  while (size > 0) {
    // MSG_NOSIGNAL: a dead worker is an EPIPE here, not a SIGPIPE that ends
    // the server. MSG_DONTWAIT: a full socket waits in poll, under the deadline.
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (IoResult r = wait_for(fd, POLLOUT, deadline); r.status != IoStatus::ok) return r;
      continue;
    }
    return peer_gone(errno) ? IoResult{IoStatus::closed, errno} : IoResult{IoStatus::failed, errno};
  }
  return {};
}

IoResult recv_all(int fd, char* data, size_t size, const Deadline& deadline) {
  while (size > 0) {
    ssize_t n = ::recv(fd, data, size, MSG_DONTWAIT);
    if (n > 0) {
      data += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return {IoStatus::closed};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (IoResult r = wait_for(fd, POLLIN, deadline); r.status != IoStatus::ok) return r;
      continue;
    }
    return peer_gone(errno) ? IoResult{IoStatus::closed, errno} : IoResult{IoStatus::failed, errno};
  }
  return {};
}

}  // namespace

IoResult write_frame(int fd, Kind kind, std::string_view payload, Deadline deadline) {
  if (payload.size() > kMaxPayload) return {IoStatus::malformed};
  // One buffer, one send in the common case: feeds are a few KB.
  std::string frame(kHeaderBytes + payload.size(), '\0');
  const auto length = static_cast<uint32_t>(payload.size());
  std::memcpy(frame.data(), &length, 4);
  frame[4] = static_cast<char>(kind);
  if (!payload.empty()) std::memcpy(frame.data() + kHeaderBytes, payload.data(), payload.size());
  return send_all(fd, frame.data(), frame.size(), deadline);
}

IoResult read_frame(int fd, Frame& out, Deadline deadline) {
  char header[kHeaderBytes];
  if (IoResult r = recv_all(fd, header, sizeof header, deadline); r.status != IoStatus::ok) return r;
  uint32_t length = 0;
  std::memcpy(&length, header, 4);
  if (length > kMaxPayload) return {IoStatus::malformed};
  out.kind = static_cast<Kind>(static_cast<uint8_t>(header[4]));
  out.payload.assign(length, '\0');
  if (length == 0) return {};
  return recv_all(fd, out.payload.data(), length, deadline);
}

std::string_view as_payload(std::span<const int16_t> samples) {
  return {reinterpret_cast<const char*>(samples.data()), samples.size_bytes()};
}

std::vector<int16_t> as_samples(std::string_view payload) {
  std::vector<int16_t> samples(payload.size() / sizeof(int16_t));
  if (!samples.empty()) std::memcpy(samples.data(), payload.data(), samples.size() * sizeof(int16_t));
  return samples;
}

std::string describe(IoResult result) {
  switch (result.status) {
    case IoStatus::ok: return "ok";
    case IoStatus::closed: return "its socket closed";
    case IoStatus::timed_out: return "timed out";
    case IoStatus::malformed: return "a malformed frame";
    case IoStatus::failed: return std::string("socket error: ") + std::strerror(result.error);
  }
  return "?";
}

}  // namespace prism::voice::speech_worker
