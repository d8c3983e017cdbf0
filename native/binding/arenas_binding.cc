// Placeholder until the arenas module lands; replaced by its owner.
#include "modules.h"

namespace arenascope {
void InitArenasModule(Napi::Env, Napi::Object) {}
}  // namespace arenascope
