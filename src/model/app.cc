#include "model/app.h"

namespace tock {

const char* PauseKindName(PauseKind k) {
  switch (k) {
    case PauseKind::kNone: return "none";
    case PauseKind::kManual: return "manual";
    case PauseKind::kAuto: return "auto";
  }
  return "unknown";
}

}  // namespace tock
