// G.711 companding (ITU-T G.711): mu-law ("audio/pcmu", beta "g711_ulaw") and
// A-law ("audio/pcma", beta "g711_alaw"), one byte per 8 kHz sample.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace prism::voice {

uint8_t mulaw_encode(int16_t sample);
int16_t mulaw_decode(uint8_t code);
uint8_t alaw_encode(int16_t sample);
int16_t alaw_decode(uint8_t code);

std::vector<int16_t> mulaw_decode(std::span<const uint8_t> codes);
std::vector<uint8_t> mulaw_encode(std::span<const int16_t> samples);
std::vector<int16_t> alaw_decode(std::span<const uint8_t> codes);
std::vector<uint8_t> alaw_encode(std::span<const int16_t> samples);

}  // namespace prism::voice
