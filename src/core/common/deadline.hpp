// The option time_budget as a point in time, for the networks' epochs and
// the statistical members' series alike. Torch-free.
#pragma once
#include <chrono>
#include <cstdio>
#include <string>

namespace xb {

using Deadline = std::chrono::steady_clock::time_point;
constexpr Deadline kNoDeadline = Deadline::max();

// seconds from now; 0 or less: no deadline.
inline Deadline deadline_after(double seconds) {
  if (!(seconds > 0)) return kNoDeadline;
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<Deadline::duration>(std::chrono::duration<double>(seconds));
}

inline bool is_past(Deadline d) { return d != kNoDeadline && std::chrono::steady_clock::now() >= d; }

// "time_budget of 2.5 s", as NOTICEs name it.
inline std::string time_budget_text(double seconds) {
  char text[48];
  std::snprintf(text, sizeof text, "time_budget of %g s", seconds);
  return text;
}

}  // namespace xb
