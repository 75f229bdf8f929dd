// Secret references: "${env:NAME}" reads an environment variable, "${file:/path}"
// reads a file (trailing newline removed). Nothing else is a valid secret value.
#pragma once

#include "core/error.h"

namespace clerk::bot {

// True when `text` is exactly one well-formed secret reference.
bool isSecretRef(const QString &text);

// Resolves a reference. Errors name the variable or file, never the secret itself:
// NotFound when the variable is unset or the file is missing, PermissionDenied when
// the file cannot be read, InvalidArgument when `text` is not a reference.
Result<QString> resolveSecret(const QString &text);

} // namespace clerk::bot
