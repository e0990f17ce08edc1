// Standalone driver for resp_fuzz.cc when not built with libFuzzer: mutates a seed corpus of
// valid and invalid RESP frames with a seeded PRNG and feeds LLVMFuzzerTestOneInput.
//
//   resp_fuzz [--seed S] [--seconds T] [--iterations N] [--replay FILE]
//
// The input sequence is a pure function of the seed, so a failure at iteration I replays with
// `--seed S --iterations I+1`; the failing input is also written to resp_fuzz-crash.bin.
// --seconds bounds the run's time (default 20), --iterations its length (default unbounded).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/random.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define TESSERA_HAVE_SANITIZER_CALLBACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define TESSERA_HAVE_SANITIZER_CALLBACK 1
#endif
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

uint64_t g_seed = 1;
uint64_t g_iteration = 0;
const std::string* g_input = nullptr;

void WriteNumber(int fd, uint64_t v) {
  char buf[24];
  int i = sizeof(buf);
  do {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  (void)!write(fd, buf + i, sizeof(buf) - i);
}

// Async-signal-safe report of the failing seed, iteration and input.
void ReportFailure() {
  const char a[] = "\nresp_fuzz: FAILED with --seed ";
  (void)!write(2, a, sizeof(a) - 1);
  WriteNumber(2, g_seed);
  const char b[] = " at iteration ";
  (void)!write(2, b, sizeof(b) - 1);
  WriteNumber(2, g_iteration);
  const char c[] = " (replay: --seed S --iterations I+1; input in resp_fuzz-crash.bin)\n";
  (void)!write(2, c, sizeof(c) - 1);
  if (g_input != nullptr) {
    int fd = open("resp_fuzz-crash.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      (void)!write(fd, g_input->data(), g_input->size());
      close(fd);
    }
  }
}

void OnAbort(int sig) {
  ReportFailure();
  signal(sig, SIG_DFL);
  raise(sig);
}

const std::vector<std::string>& SeedCorpus() {
  static const std::vector<std::string> corpus = {
      "*1\r\n$4\r\nPING\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
      "*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n10\r\n$2\r\nPX\r\n$3\r\n100\r\n",
      "*3\r\n$3\r\nSET\r\n$1\r\nn\r\n$2\r\n-5\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n",
      "*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$20\r\n-9223372036854775808\r\n",
      "*3\r\n$6\r\nAPPEND\r\n$1\r\nk\r\n$3\r\nabc\r\n",
      "*4\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nMATCH\r\n$3\r\nk[a\r\n",
      "*2\r\n$4\r\nKEYS\r\n$5\r\n*\\[^x\r\n",
      "*3\r\n$6\r\nEXPIRE\r\n$1\r\nk\r\n$2\r\n-1\r\n",
      "*2\r\n$3\r\nTTL\r\n$1\r\nk\r\n",
      "*5\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
      "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n",
      "*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n",
      "*1\r\n$4\r\nINFO\r\n",
      "*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n",
      "*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$1\r\nx\r\n",
      "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n",
      "PING\r\n",
      "set k \"a\\x41b\" 'c'\r\n",
      "\r\n*0\r\n*-1\r\n",
      "*1\r\n$4\r\nQUIT\r\n",
      "*1\r\n$-1\r\n",
      "*x\r\n",
      "*1\r\n$3\r\nabcXY",
      "*99999999999\r\n",
      "$5\r\nhello\r\n",
      "*2\r\n$3\r\nGET\r\n$",
      "get \"unterminated\r\n",
  };
  return corpus;
}

const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> tokens = {"\r\n",
                                                  "\r",
                                                  "\n",
                                                  "*",
                                                  "$",
                                                  "-1",
                                                  "0",
                                                  "1",
                                                  "2",
                                                  "10",
                                                  "4096",
                                                  "4097",
                                                  "65",
                                                  "64",
                                                  "9223372036854775807",
                                                  "-9223372036854775808",
                                                  "99999999999999999999",
                                                  "\"",
                                                  "'",
                                                  "\\x",
                                                  "\\",
                                                  " ",
                                                  "[",
                                                  "]",
                                                  "^",
                                                  "?",
                                                  "PX",
                                                  "EX",
                                                  "NX",
                                                  "XX",
                                                  "GET",
                                                  "KEEPTTL",
                                                  "COUNT",
                                                  "MATCH"};
  return tokens;
}

std::string Mutate(tessera::SeededRandom& rnd) {
  const auto& corpus = SeedCorpus();
  std::string s;
  for (uint64_t i = 0, n = rnd.Range(1, 4); i < n; ++i) s += corpus[rnd.Uniform(corpus.size())];
  for (uint64_t m = 0, n = rnd.Uniform(9); m < n; ++m) {
    size_t pos = s.empty() ? 0 : rnd.Uniform(s.size() + 1);
    switch (rnd.Uniform(6)) {
      case 0:  // flip a bit
        if (!s.empty()) {
          char& c = s[rnd.Uniform(s.size())];
          c = static_cast<char>(static_cast<unsigned char>(c) ^ (1u << rnd.Uniform(8)));
        }
        break;
      case 1:  // insert a random byte
        s.insert(pos, 1, static_cast<char>(rnd.Uniform(256)));
        break;
      case 2:  // erase a range
        if (!s.empty()) s.erase(rnd.Uniform(s.size()), rnd.Range(1, 8));
        break;
      case 3:  // insert a token
        s.insert(pos, Tokens()[rnd.Uniform(Tokens().size())]);
        break;
      case 4:  // duplicate a range
        if (!s.empty()) {
          size_t from = rnd.Uniform(s.size());
          s.insert(pos, s.substr(from, rnd.Range(1, 32)));
        }
        break;
      default:  // truncate
        s.resize(pos);
        break;
    }
  }
  if (s.size() > 65536) s.resize(65536);
  return s;
}

int Replay(const char* path) {
  std::ifstream f(path, std::ios::binary);
  std::string input((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  std::printf("resp_fuzz: replayed %zu bytes from %s: ok\n", input.size(), path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  uint64_t iterations = UINT64_MAX;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--seed" && has_value) {
      g_seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seconds" && has_value) {
      seconds = std::strtod(argv[++i], nullptr);
    } else if (a == "--iterations" && has_value) {
      iterations = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--replay" && has_value) {
      return Replay(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--seed S] [--seconds T] [--iterations N] [--replay FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  signal(SIGABRT, OnAbort);
#ifdef TESSERA_HAVE_SANITIZER_CALLBACK
  __sanitizer_set_death_callback(ReportFailure);
#endif
  std::printf("resp_fuzz: seed %llu, up to %.0f s\n", static_cast<unsigned long long>(g_seed),
              seconds);
  std::fflush(stdout);
  tessera::SeededRandom rnd(g_seed);
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  std::string input;
  g_input = &input;
  for (g_iteration = 0; g_iteration < iterations; ++g_iteration) {
    if ((g_iteration & 63) == 0 && std::chrono::steady_clock::now() > end) break;
    input = Mutate(rnd);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("resp_fuzz: seed %llu, %llu inputs, no failure\n",
              static_cast<unsigned long long>(g_seed),
              static_cast<unsigned long long>(g_iteration));
  return 0;
}
