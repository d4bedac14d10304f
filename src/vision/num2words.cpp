// A port of num2words' Num2Word_Base.splitnum/clean with Num2Word_EN.merge,
// keeping its tree-shaped reduction so that the punctuation ("-", " and ",
// ", ") comes out exactly as the package produces it.
#include "vision/num2words.h"

#include <stdexcept>
#include <utility>
#include <vector>

namespace prism::vision {
namespace {

struct Card {
  std::int64_t value;
  const char* word;
};

// num2words' `cards`, highest first.
const std::vector<Card>& cards() {
  static const std::vector<Card> table = [] {
    std::vector<Card> t = {{1000000000000000LL, "quadrillion"},
                           {1000000000000LL, "trillion"},
                           {1000000000LL, "billion"},
                           {1000000LL, "million"},
                           {1000, "thousand"},
                           {100, "hundred"},
                           {90, "ninety"},
                           {80, "eighty"},
                           {70, "seventy"},
                           {60, "sixty"},
                           {50, "fifty"},
                           {40, "forty"},
                           {30, "thirty"}};
    const char* low[] = {"twenty", "nineteen", "eighteen", "seventeen", "sixteen", "fifteen", "fourteen",
                         "thirteen", "twelve", "eleven", "ten", "nine", "eight", "seven",
                         "six", "five", "four", "three", "two", "one", "zero"};
    std::int64_t v = 20;
    for (const char* word : low) t.push_back({v--, word});
    return t;
  }();
  return table;
}

// An element of splitnum's output: a (text, number) pair or a nested list.
struct Node {
  bool is_pair = false;
  std::string text;
  std::int64_t num = 0;
  std::vector<Node> list;

  static Node pair(std::string text, std::int64_t num) {
    Node n;
    n.is_pair = true;
    n.text = std::move(text);
    n.num = num;
    return n;
  }
  static Node of(std::vector<Node> list) {
    Node n;
    n.list = std::move(list);
    return n;
  }
};

std::vector<Node> splitnum(std::int64_t value) {
  for (const Card& card : cards()) {
    if (card.value > value) continue;
    std::vector<Node> out;
    std::int64_t div = 1, mod = 0;
    if (value != 0) {
      div = value / card.value;
      mod = value % card.value;
    }
    if (div == 1) {
      out.push_back(Node::pair("one", 1));
    } else {
      out.push_back(Node::of(splitnum(div)));
    }
    out.push_back(Node::pair(card.word, card.value));
    if (mod != 0) out.push_back(Node::of(splitnum(mod)));
    return out;
  }
  throw std::logic_error("num2words: no card for value");
}

Node merge(const Node& l, const Node& r) {
  if (l.num == 1 && r.num < 100) return Node::pair(r.text, r.num);
  if (100 > l.num && l.num > r.num) return Node::pair(l.text + "-" + r.text, l.num + r.num);
  if (l.num >= 100 && 100 > r.num) return Node::pair(l.text + " and " + r.text, l.num + r.num);
  if (r.num > l.num) return Node::pair(l.text + " " + r.text, l.num * r.num);
  return Node::pair(l.text + ", " + r.text, l.num + r.num);
}

Node clean(std::vector<Node> val) {
  std::vector<Node> out = val;
  while (val.size() != 1) {
    out.clear();
    const Node& left = val[0];
    const Node& right = val[1];
    if (left.is_pair && right.is_pair) {
      out.push_back(merge(left, right));
      if (val.size() > 2) out.push_back(Node::of(std::vector<Node>(val.begin() + 2, val.end())));
    } else {
      for (const Node& elem : val) {
        if (!elem.is_pair) {
          out.push_back(elem.list.size() == 1 ? elem.list[0] : clean(elem.list));
        } else {
          out.push_back(elem);
        }
      }
    }
    val = out;
  }
  return out[0];
}

}  // namespace

std::string num2words_en(std::int64_t value) {
  constexpr std::int64_t kMax = 999999999999999999LL;  // just under 10^18
  std::string prefix;
  if (value < 0) {
    if (value < -kMax) throw std::out_of_range("num2words_en: number too large");
    value = -value;
    prefix = "minus ";
  }
  if (value > kMax) throw std::out_of_range("num2words_en: number too large");
  return prefix + clean(splitnum(value)).text;
}

}  // namespace prism::vision
