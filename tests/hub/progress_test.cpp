#include "hub/progress.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

namespace prism::hub {
namespace {

TEST(Progress, HumanUnits) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(3.5 * 1024 * 1024 * 1024), "3.5 GiB");
  EXPECT_EQ(human_duration(75), "1:15");
  EXPECT_EQ(human_duration(3725), "1:02:05");
}

// Not a terminal: plain lines, no escape codes.
TEST(Progress, PlainLinesWhenNotATerminal) {
  std::ostringstream out;
  {
    Progress p(out, false, std::chrono::milliseconds(20));
    p.expect(2048);
    const int a = p.start_file("model.safetensors", 2048, 1024);
    p.update(a, 1536);
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    p.update(a, 2048);
    p.finish_file(a, true);
    p.close();
  }
  const std::string text = out.str();
  EXPECT_NE(text.find("downloading model.safetensors (2.0 KiB, resuming at 1.0 KiB)"), std::string::npos) << text;
  EXPECT_NE(text.find("total  75%"), std::string::npos) << text;
  EXPECT_NE(text.find("done model.safetensors  2.0 KiB in"), std::string::npos) << text;
  EXPECT_NE(text.find("total 100%"), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

TEST(Progress, BarsRedrawnOnATerminal) {
  std::ostringstream out;
  Progress p(out, true);
  p.expect(100);
  const int a = p.start_file("a.bin", 100, 0);
  p.update(a, 50);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  p.finish_file(a, true);
  p.close();
  const std::string text = out.str();
  EXPECT_NE(text.find("a.bin  [##########..........] 50 B / 100 B"), std::string::npos) << text;
  EXPECT_NE(text.find("\x1b[1A\x1b[2K"), std::string::npos);
}

}  // namespace
}  // namespace prism::hub
