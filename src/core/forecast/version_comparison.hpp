// Two versions of one forecaster scored on the same newest points, for
// xb_retrain's keep => 'better': the deployed version and the one just
// trained both forecast the last `horizon` points of every series they
// share, from the point before them, with the same history (the source's
// current rows). Neither fitted those points: they are the new version's
// test split, and whatever of them the deployed version saw fell in its own
// test split (every test split holds at least a horizon). Public face to
// the PostgreSQL boundary (no torch here).
#pragma once
#include <string>
#include <string_view>

#include "core/common/retrain_comparison.hpp"
#include "core/common/train_hooks.hpp"
#include "core/forecast/options.hpp"
#include "core/forecast/series_data.hpp"

namespace xb {

// rows: the source as training read it; spec: the options it trained with
// (their fill and invalid read the rows here too). Nothing to compare
// (why_none) when the versions' calendars differ or no series has history
// enough; Error(InvalidParameter) when a blob is not a forecaster or the
// versions read different columns.
VersionComparison compare_on_newest(std::string_view deployed, std::string_view retrained, const SeriesRows &rows,
                                    const ForecastOptions &spec, const RuntimeSettings &runtime,
                                    const TrainHooks &hooks);

}  // namespace xb
