// How well semantic turn detection tells a finished turn from a thinking
// pause, on text: for each end-probability bar, the share of whole turns
// read as finished (answered after the short window) and the share of
// mid-sentence pause points read as finished (a speaker cut off if the pause
// outlasts the short window). Input: bench/voice/end_of_turn_sentences.txt.
//
//   build/bench/voice/end_of_turn_bench [bench/voice/end_of_turn_sentences.txt]
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "voice/end_of_turn_model.h"
#include "voice/turn_taking.h"

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "bench/voice/end_of_turn_sentences.txt";
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 2;
  }
  std::vector<std::string> finished, paused;
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 3 || line[0] == '#') continue;
    std::string words = line.substr(2);
    if (line[0] == 'F') finished.push_back(words);
    if (line[0] == 'P') paused.push_back(words.substr(0, words.find(" |")));
  }
  const auto& model = prism::voice::EndOfTurnModel::shared();
  std::printf("%zu whole turns, %zu pause points (%s)\n\n", finished.size(), paused.size(), path.c_str());
  std::printf("| P(</s>) bar | whole turns read finished | pause points read finished |\n|---|---|---|\n");
  for (double bar : {0.05, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.25}) {
    auto share = [&](const std::vector<std::string>& set) {
      int n = 0;
      for (const auto& s : set) n += prism::voice::looks_finished(s, bar);
      return 100.0 * n / static_cast<double>(set.size());
    };
    std::printf("| %.2f%s | %.0f%% | %.0f%% |\n", bar, bar == prism::voice::kFinishedEndProbability ? " (default)" : "",
                share(finished), share(paused));
  }
  std::printf("\nper sentence, P(</s>) at its end:\n");
  for (const auto& s : finished) std::printf("  F %.3f  %s\n", model.end_probability(s), s.c_str());
  for (const auto& s : paused)
    std::printf("  P %.3f%s  %s\n", model.end_probability(s), prism::voice::looks_finished(s, 0.0) ? "" : " (cont. word)",
                s.c_str());
}
