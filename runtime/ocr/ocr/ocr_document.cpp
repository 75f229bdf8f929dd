#include "ocr/ocr_document.h"

namespace clerk::ocr {

int OcrDocument::blankPageCount() const
{
    int count = 0;
    for (const OcrPage &page : pages)
        count += page.blank ? 1 : 0;
    return count;
}

QList<int> OcrDocument::textLayerPages() const
{
    QList<int> numbers;
    for (const OcrPage &page : pages) {
        if (page.fromTextLayer)
            numbers.append(page.number);
    }
    return numbers;
}

} // namespace clerk::ocr
