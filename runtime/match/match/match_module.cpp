// Placeholder translation unit until the module's first sources land.
namespace clerk::match {
}
