// Placeholder until the strings module lands; replaced by its owner.
#include "modules.h"

namespace arenascope {
void InitStringsModule(Napi::Env, Napi::Object) {}
}  // namespace arenascope
