// Download progress on stderr: on a terminal, one bar per file in flight and
// a total (bytes, rate, time left), redrawn in place; otherwise plain lines
// (a file starting and finishing, and the total every few seconds), which
// logs and CI keep readable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace prism::hub {

std::string human_bytes(double bytes);
std::string human_duration(double seconds);

class Progress {
 public:
  // interactive: redraw in place (a terminal). plain_every: how often plain
  // mode prints the total.
  Progress(std::ostream& out, bool interactive,
           std::chrono::milliseconds plain_every = std::chrono::milliseconds(2000));
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Files to come: their sizes count in the total from the start.
  void expect(std::uint64_t bytes);
  // A file starts; `held` bytes were already on disk (resumed). Returns its id.
  int start_file(const std::string& name, std::uint64_t size, std::uint64_t held);
  // Bytes of the file on disk now.
  void update(int id, std::uint64_t held);
  // The file is complete (ok) or given up; its bytes leave the total when not ok.
  void finish_file(int id, bool ok);
  // A line printed above the bars.
  void note(const std::string& line);
  // Stops redrawing and prints the last total.
  void close();

 private:
  struct File {
    std::string name;
    std::uint64_t size = 0, held = 0, held_at_start = 0;
    std::chrono::steady_clock::time_point started;
    bool active = true;
  };
  void loop();
  void draw_locked();
  std::string file_line(const File& f) const;
  std::string total_line() const;
  void clear_bars_locked();

  std::ostream& out_;
  const bool interactive_;
  const std::chrono::milliseconds plain_every_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool closed_ = false;
  std::vector<File> files_;
  std::uint64_t expected_ = 0;
  std::uint64_t done_bytes_ = 0;       // of finished files
  std::uint64_t fetched_at_start_ = 0; // bytes already held when files started
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  int bars_drawn_ = 0;
  std::uint64_t last_plain_held_ = UINT64_MAX;
  std::thread thread_;
};

}  // namespace prism::hub
