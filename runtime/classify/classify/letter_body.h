// The body of a letter: what a letter says, without what every letter has.
//
// A scanned letter's OCR text carries the sender's and the council's address blocks,
// phone numbers, dates, the salutation, the sign-off and the name under it. None of it
// says what the letter is about, and all of it differs from the text a model learns from
// (reports and complaints typed into a form). letterBody() keeps the lines between the
// salutation ("Dear ...", "To whom it may concern") and the sign-off ("Yours ...",
// "Kind regards", ...). Without a salutation it drops the sign-off and what follows it
// and the lines before the first line that reads like a sentence (address blocks, dates,
// phone numbers: short lines without a sentence's words). A text that is not a letter
// (no salutation, no sign-off) comes back unchanged.
//
// Thread-safety: pure function.
#pragma once

#include <QString>

namespace clerk::classify {

QString letterBody(const QString &text);

} // namespace clerk::classify
