#include "pg/model_cache.hpp"

#include <map>

#include "pg/guc.hpp"

namespace xb::pg {
namespace {

struct Entry {
  std::string name;
  int version = 0;
  SharedScorer scorer;
  unsigned long last_used = 0;
  long uses = 0;
};

std::map<long, Entry> &cache() {
  static std::map<long, Entry> entries;
  return entries;
}

unsigned long clock_tick = 0;

// Drops other versions of the name, then the least recently used entries
// until one more fits.
void make_room(const std::string &name, std::size_t capacity) {
  auto &c = cache();
  for (auto it = c.begin(); it != c.end();) it = it->second.name == name ? c.erase(it) : std::next(it);
  while (!c.empty() && c.size() >= capacity) {
    auto oldest = c.begin();
    for (auto it = c.begin(); it != c.end(); ++it)
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    c.erase(oldest);
  }
}

}  // namespace

SharedScorer scorer_for(const std::string &name, const ModelVersion &m,
                        const std::function<std::string()> &load_weights) {
  auto &c = cache();
  const int capacity = model_cache_size();
  auto it = c.find(m.id);
  if (it != c.end() && it->second.version == m.version && capacity > 0) {
    it->second.last_used = ++clock_tick;
    ++it->second.uses;
    return it->second.scorer;
  }
  SharedScorer loaded = TabularScorer::load(load_weights(), runtime_settings());
  if (capacity <= 0) {
    c.clear();
    return loaded;
  }
  make_room(name, static_cast<std::size_t>(capacity));
  Entry &e = c[m.id];
  e.name = name;
  e.version = m.version;
  e.scorer = loaded;
  e.last_used = ++clock_tick;
  e.uses = 1;
  return loaded;
}

std::vector<CachedModel> cached_models() {
  std::vector<CachedModel> out;
  for (const auto &[id, e] : cache()) out.push_back({e.name, id, e.version, e.uses});
  return out;
}

}  // namespace xb::pg
