// The RocksDB store's byte encodings of the records (model/): one value per record.
//
// Encoding: a leading format byte, then fixed-width big-endian integers and
// length-prefixed strings in the order of codecs.cc (common/coding.h). A record whose format
// byte is unknown, or that ends early, decodes to an error instead of garbage.
//
// DO NOT CHANGE the order of fields or the format bytes: they are on disk. Add new fields at
// the end and bump the format byte; keep decoding every older format.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "model/app.h"
#include "model/schedule.h"
#include "model/task.h"

namespace tock {

std::string EncodeApp(const App& app);
Result<App> DecodeApp(std::string_view bytes);
std::string EncodeTask(const Task& task);
Result<Task> DecodeTask(std::string_view bytes);
std::string EncodeAttempt(const Attempt& attempt);
Result<Attempt> DecodeAttempt(std::string_view bytes);
std::string EncodeSchedule(const Schedule& schedule);
Result<Schedule> DecodeSchedule(std::string_view bytes);

}  // namespace tock
