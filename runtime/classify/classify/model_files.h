// Where a bot's trained models live: beside the bot file, versioned.
//
//   <bot folder>/<bot name>.<step id>.model.v<N>   one file per training run (N = 1, 2, ...)
//   <bot folder>/<bot name>.<step id>.model.latest a one-line pointer: the file name of
//                                                  the model the step uses by default
//
// Thread-safety: functions touch the file system; no shared state.
#pragma once

#include "core/error.h"

#include <QString>

namespace clerk::classify {

// "<bot>.<step>.model"
QString modelBaseName(const QString &botName, const QString &stepId);

// The next free "<bot>.<step>.model.v<N>" in `folder` (absolute path).
QString nextModelPath(const QString &folder, const QString &botName, const QString &stepId);

// Points ".latest" at `modelPath` (which must be in `folder`).
Status writeLatestPointer(const QString &folder, const QString &botName, const QString &stepId, const QString &modelPath);

// The model ".latest" points at, as an absolute path; an empty string when there is no
// pointer. NotFound when the pointer names a file that is not there; Corrupt when the
// pointer is not a plain file name.
Result<QString> latestModelPath(const QString &folder, const QString &botName, const QString &stepId);

// The model a classify step uses: `explicitPath` (relative paths start at `folder`) when
// given, else the one ".latest" points at; an empty string when neither exists.
Result<QString> resolveModelPath(const QString &folder, const QString &botName, const QString &stepId,
                                 const QString &explicitPath);

} // namespace clerk::classify
