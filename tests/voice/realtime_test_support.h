// Test support for the realtime session: a scripted reply provider (the
// stand-in for the router, which lives outside this module), an event log
// that the session's `send` writes into, and a client that speaks Flite
// audio as 20 ms input_audio_buffer.append events.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <algorithm>
#include <thread>
#include <vector>

#include "voice/audio_format.h"
#include "voice/base64.h"
#include "voice/realtime_session.h"
#include "voice/resampler.h"
#include "voice/speech_synthesizer.h"

namespace prism::voice::testing {

using nlohmann::json;

// Streams a fixed reply word by word from its own thread, like a model
// behind the router would; records what it was asked and whether it was
// cancelled.
class ScriptedReplies : public ReplyProvider {
 public:
  ScriptedReplies(std::string reply, std::chrono::milliseconds per_word) : replies_{std::move(reply)}, per_word_(per_word) {}
  // Answers with the replies in turn, the last one for every later request.
  ScriptedReplies(std::vector<std::string> replies, std::chrono::milliseconds per_word)
      : replies_(std::move(replies)), per_word_(per_word) {}

  std::unique_ptr<ReplyHandle> start(const json& messages, const SessionSettings& settings,
                                     ReplyCallbacks callbacks) override {
    std::string reply;
    {
      std::lock_guard lock(mutex_);
      reply = replies_[std::min(requests_.size(), replies_.size() - 1)];
      requests_.push_back(messages);
    }
    return std::make_unique<Handle>(this, reply, per_word_, std::move(callbacks));
  }

  std::vector<json> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int cancels() const { return cancels_; }
  int live_streams() const { return live_; }

 private:
  class Handle : public ReplyHandle {
   public:
    Handle(ScriptedReplies* owner, std::string reply, std::chrono::milliseconds per_word, ReplyCallbacks cb)
        : owner_(owner) {
      ++owner_->live_;
      thread_ = std::thread([this, reply = std::move(reply), per_word, cb = std::move(cb)] {
        std::istringstream words(reply);
        std::string word;
        bool first = true;
        int64_t count = 0;
        while (words >> word) {
          std::this_thread::sleep_for(per_word);
          if (cancelled_) return;
          cb.on_text_delta(first ? word : " " + word);
          first = false;
          ++count;
        }
        if (!cancelled_) cb.on_done({42, count});
      });
    }
    ~Handle() override {
      cancelled_ = true;
      thread_.join();
      --owner_->live_;
    }
    void cancel() override {
      if (!cancelled_.exchange(true)) ++owner_->cancels_;
    }

   private:
    ScriptedReplies* owner_;
    std::atomic<bool> cancelled_{false};
    std::thread thread_;
  };

  std::vector<std::string> replies_;
  std::chrono::milliseconds per_word_;
  std::mutex mutex_;
  std::vector<json> requests_;
  std::atomic<int> cancels_{0};
  std::atomic<int> live_{0};
};

// Everything the session sent, parsed, in order.
class EventLog {
 public:
  RealtimeSession::Sender sender() {
    return [this](std::string text) {
      json event = json::parse(text);  // the session must send valid JSON
      std::lock_guard lock(mutex_);
      events_.push_back(std::move(event));
      changed_.notify_all();
    };
  }
  // Waits for the n-th (1-based) event of `type`; fails the test on timeout.
  json wait_for(const std::string& type, int nth = 1, std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    json found;
    bool ok = changed_.wait_for(lock, timeout, [&] {
      int seen = 0;
      for (const auto& e : events_)
        if (e["type"] == type && ++seen == nth) {
          found = e;
          return true;
        }
      return false;
    });
    EXPECT_TRUE(ok) << "timed out waiting for " << type << " #" << nth;
    return found;
  }
  std::vector<json> all() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<json> of_type(const std::string& type) {
    std::vector<json> out;
    for (auto& e : all())
      if (e["type"] == type) out.push_back(e);
    return out;
  }
  // Index of the first event of `type` at or after `from`, or -1.
  int index_of(const std::string& type, int from = 0) {
    auto events = all();
    for (size_t i = static_cast<size_t>(from); i < events.size(); ++i)
      if (events[i]["type"] == type) return static_cast<int>(i);
    return -1;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<json> events_;
};

// Flite speech in a wire format, with silence around it, cut into 20 ms
// input_audio_buffer.append events.
struct SpokenUtterance {
  std::vector<int16_t> speech_16k;  // the speech itself (16 kHz)
  double speech_start_ms = 0;        // first / last audible sample in the stream
  double speech_end_ms = 0;
  std::vector<std::string> appends;  // JSON events
};

inline SpokenUtterance speak(const std::string& text, const AudioFormat& format, int lead_silence_ms = 300,
                             int trail_silence_ms = 900, const std::string& voice = "slt") {
  SpeechSynthesizer tts(voice);
  SpokenUtterance u;
  u.speech_16k = resample(tts.synthesize(text), tts.sample_rate(), 16000);
  // Flite pads its speech with ~200 ms of silence before and ~150 ms after;
  // trimmed, so that the silences asked for here are the real pauses.
  size_t head = 0, tail = u.speech_16k.size();
  while (head < tail && std::abs(u.speech_16k[head]) < 200) ++head;
  while (tail > head && std::abs(u.speech_16k[tail - 1]) < 200) --tail;
  u.speech_16k = std::vector<int16_t>(u.speech_16k.begin() + static_cast<ptrdiff_t>(head),
                                      u.speech_16k.begin() + static_cast<ptrdiff_t>(tail));
  std::vector<int16_t> audio(static_cast<size_t>(lead_silence_ms * 16), 0);
  audio.insert(audio.end(), u.speech_16k.begin(), u.speech_16k.end());
  audio.resize(audio.size() + static_cast<size_t>(trail_silence_ms * 16), 0);
  size_t first = 0, last = audio.size();
  while (first < audio.size() && std::abs(audio[first]) < 200) ++first;
  while (last > first && std::abs(audio[last - 1]) < 200) --last;
  u.speech_start_ms = static_cast<double>(first) / 16.0;
  u.speech_end_ms = static_cast<double>(last) / 16.0;
  auto wire = resample(audio, 16000, format.sample_rate);
  size_t frame = static_cast<size_t>(format.sample_rate / 50);
  for (size_t at = 0; at < wire.size(); at += frame) {
    auto chunk = std::span(wire).subspan(at, std::min(frame, wire.size() - at));
    u.appends.push_back(json{{"type", "input_audio_buffer.append"}, {"audio", base64_encode(format.encode(chunk))}}.dump());
  }
  return u;
}

}  // namespace prism::voice::testing
