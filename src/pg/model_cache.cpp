#include "pg/model_cache.hpp"

#include <map>

#include "pg_base/guc.hpp"

namespace xb::pg {
namespace {

// One decoded model: a scorer or a forecaster (an id is one kind).
struct Entry {
  std::string name;
  int version = 0;
  std::string stamp;
  SharedScorer scorer;
  SharedForecaster forecaster;
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

// Model m's entry, counted as a use; null when the cache is off or lacks it.
Entry *cached(const ModelVersion &m) {
  auto &c = cache();
  auto it = c.find(m.id);
  if (model_cache_size() <= 0 || it == c.end() || it->second.version != m.version || it->second.stamp != m.stamp)
    return nullptr;
  it->second.last_used = ++clock_tick;
  ++it->second.uses;
  return &it->second;
}

// A new entry for m, room made for it; null when the cache is off (and
// then emptied: the setting may have just been lowered to 0).
Entry *new_entry(const std::string &name, const ModelVersion &m) {
  const int capacity = model_cache_size();
  if (capacity <= 0) {
    cache().clear();
    return nullptr;
  }
  make_room(name, static_cast<std::size_t>(capacity));
  Entry &e = cache()[m.id];
  e.name = name;
  e.version = m.version;
  e.stamp = m.stamp;
  e.last_used = ++clock_tick;
  e.uses = 1;
  return &e;
}

}  // namespace

SharedScorer scorer_for(const std::string &name, const ModelVersion &m, const WeightsLoader &load_weights) {
  if (Entry *e = cached(m); e && e->scorer) return e->scorer;
  SharedScorer loaded = TabularScorer::load(load_weights(), runtime_settings());
  if (Entry *e = new_entry(name, m)) e->scorer = loaded;
  return loaded;
}

SharedForecaster forecaster_for(const std::string &name, const ModelVersion &m, const WeightsLoader &load_weights) {
  if (Entry *e = cached(m); e && e->forecaster) return e->forecaster;
  SharedForecaster loaded = decode_forecaster(load_weights(), runtime_settings());
  if (Entry *e = new_entry(name, m)) e->forecaster = loaded;
  return loaded;
}

std::vector<CachedModel> cached_models() {
  std::vector<CachedModel> out;
  for (const auto &[id, e] : cache()) out.push_back({e.name, id, e.version, e.uses});
  return out;
}

}  // namespace xb::pg
