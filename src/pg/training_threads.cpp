#include "pg/training_threads.hpp"

#include <algorithm>
#include <string>

#include "core/common/cores.hpp"
#include "pg/guard.hpp"
#include "pg_base/guc.hpp"

extern "C" {
#include "access/parallel.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
}

namespace xb::pg {
namespace {

constexpr uint32 kXbClass = 0x7862;  // "xb"
constexpr uint16 kTokenKind = 3;     // pg_advisory_lock's own tags use 1 and 2

constexpr uint16 kGateKind = 4;
constexpr uint16 kQueueKind = 5;
// How often the first waiting training looks for a token given back.
constexpr long kPollMilliseconds = 50;

LOCKTAG token_tag(int token) {
  LOCKTAG tag;
  SET_LOCKTAG_ADVISORY(tag, InvalidOid, kXbClass, static_cast<uint32>(token), kTokenKind);
  return tag;
}

// Held exclusively while a training gives its tokens back, and briefly in
// share mode by a training that has just been granted the token it waited
// for: it then sees every token the other gave back, not only the first.
LOCKTAG gate_tag() {
  LOCKTAG tag;
  SET_LOCKTAG_ADVISORY(tag, InvalidOid, kXbClass, 0, kGateKind);
  return tag;
}

// Trainings waiting for a token queue on this lock, first come first
// served; the first in the queue polls every token, so it takes whichever is
// given back first (waiting on one token's lock would leave it waiting while
// another frees).
LOCKTAG queue_tag() {
  LOCKTAG tag;
  SET_LOCKTAG_ADVISORY(tag, InvalidOid, kXbClass, 0, kQueueKind);
  return tag;
}

}  // namespace

TrainingThreads::TrainingThreads(const RuntimeSettings &runtime) : runtime_(runtime) {
  const int cap = max_training_threads();
  const int wanted = runtime.threads > 0 ? runtime.threads : usable_cores();
  if (cap <= 0) {  // no cap
    runtime_.threads = wanted;
    return;
  }
  // A parallel worker's locks never conflict with its leader's or its
  // siblings' (one lock group), so tokens cannot count them: a training
  // there (an aggregate finalised in a worker) runs on one thread, outside
  // the cap, as at most max_parallel_workers of them can.
  if (IsParallelWorker()) {
    runtime_.threads = 1;
    return;
  }
  // Transaction locks: an error or a cancel gives them back with the
  // (sub)transaction, whatever C++ does; the destructor gives them back
  // as soon as the training is over.
  const auto take_free = [&] {
    for (int token = 0; token < cap && static_cast<int>(held_.size()) < wanted; ++token) {
      if (std::find(held_.begin(), held_.end(), token) != held_.end()) continue;  // its own lock would be granted again
      LockAcquireResult got = LOCKACQUIRE_NOT_AVAIL;
      const LOCKTAG tag = token_tag(token);
      pg_call([&] { got = LockAcquire(&tag, ExclusiveLock, false, true); });
      if (got != LOCKACQUIRE_NOT_AVAIL) held_.push_back(token);
    }
  };
  // First come, first served: with trainings already waiting, a new one
  // lines up behind them rather than take a token one of them is about to.
  const LOCKTAG queue = queue_tag();
  LockAcquireResult first_in_line = LOCKACQUIRE_NOT_AVAIL;
  pg_call([&] { first_in_line = LockAcquire(&queue, ExclusiveLock, false, true); });
  if (first_in_line != LOCKACQUIRE_NOT_AVAIL) take_free();
  if (held_.empty()) {
    const std::string note = "waiting for a training thread: all " + std::to_string(cap) +
                             " of xb.max_training_threads are in use by other trainings";
    TimestampTz waiting_since = 0;
    pg_call([&] {
      ereport(NOTICE, (errmsg("%s", note.c_str())));
      waiting_since = GetCurrentTimestamp();
      // a lock wait behind the others: cancellable, under lock_timeout
      if (first_in_line == LOCKACQUIRE_NOT_AVAIL) LockAcquire(&queue, ExclusiveLock, false, false);
    });
    for (;;) {
      take_free();
      if (!held_.empty()) break;
      pg_call([&] {
        (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, kPollMilliseconds, PG_WAIT_EXTENSION);
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        if (LockTimeout > 0 && TimestampDifferenceExceeds(waiting_since, GetCurrentTimestamp(), LockTimeout))
          ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE), errmsg("canceling statement due to lock timeout")));
      });
    }
    // The training that gave its token back may be giving back more: wait
    // for it to finish (it never waits while it holds the gate), then take them.
    const LOCKTAG gate = gate_tag();
    pg_call([&] {
      LockAcquire(&gate, ShareLock, false, false);
      LockRelease(&gate, ShareLock, false);
    });
    take_free();
  }
  pg_call([&] { LockRelease(&queue, ExclusiveLock, false); });  // the next in line may look
  runtime_.threads = static_cast<int>(held_.size());
}

TrainingThreads::~TrainingThreads() {
  if (held_.empty()) return;
  const LOCKTAG gate = gate_tag();
  // Without waiting in the lock manager: a cancel or lock_timeout arriving
  // in a lock wait here would be swallowed with the wait still queued, and
  // the gate granted later to a backend that does not know it holds it.
  // Holders keep the gate for a moment and never wait while holding it; past
  // about a second the tokens go back ungated (waiters then see them one by
  // one, as without the gate).
  bool gated = false;
  for (int attempt = 0; attempt < 1000 && !gated; ++attempt) {
    try {  // should any of this fail, the transaction's end releases the tokens
      pg_call([&] {
        gated = LockAcquire(&gate, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
        if (!gated) {
          (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1, PG_WAIT_EXTENSION);
          ResetLatch(MyLatch);
        }
      });
    } catch (...) {
      break;
    }
  }
  for (int token : held_) {
    const LOCKTAG tag = token_tag(token);
    try {  // LockRelease only warns
      pg_call([&] { LockRelease(&tag, ExclusiveLock, false); });
    } catch (...) {
    }
  }
  if (gated) try {
      pg_call([&] { LockRelease(&gate, ExclusiveLock, false); });
    } catch (...) {
    }
}

}  // namespace xb::pg
