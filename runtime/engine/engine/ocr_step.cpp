// The `ocr` step: reads a scanned or born-digital document (PNG, JPEG, TIFF, PDF) into
// text with clerk::ocr::OcrEngine, and hands the document to a person when it cannot be
// read well enough: a broken or hostile file, or a page where too little of the text on
// the page was actually recognised (readability below `min_readability`).
#include "engine/builtin_steps_p.h"

#include "core/duration.h"
#include "ocr/ocr_engine.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <cmath>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {

constexpr double kDefaultMinReadability = 0.5;

double rounded(double value, int decimals = 3)
{
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

// Per-page summaries only: word lists would make every stored item large.
QJsonArray pageSummaries(const ocr::OcrDocument &document)
{
    QJsonArray pages;
    for (const ocr::OcrPage &page : document.pages) {
        pages.append(QJsonObject{
            {QStringLiteral("number"), page.number},
            {QStringLiteral("confidence"), rounded(page.meanConfidence / 100.0)},
            {QStringLiteral("readability"), rounded(page.readability)},
            {QStringLiteral("blank"), page.blank},
            {QStringLiteral("rotation"), page.rotation},
            {QStringLiteral("skew"), rounded(page.skewAngle, 2)},
            {QStringLiteral("from_text_layer"), page.fromTextLayer},
        });
    }
    return pages;
}

class OcrStep final : public Step {
public:
    OcrStep(bot::Template file, ocr::OcrOptions options, double minReadability)
        : m_file(std::move(file)), m_options(std::move(options)), m_minReadability(minReadability)
    {
    }

    StepOutcome run(StepContext &ctx) const override
    {
        // A document outside the bot's intake folders fails the item rather than going to a
        // person: the path came from the item's data (a webhook, a record), and no answer
        // would make reading it safe.
        const auto named = ctx.documentPath(m_file);
        if (!named)
            return StepOutcome::fail(QStringLiteral("ocr: %1").arg(named.error().message()));
        const QString &path = *named;
        if (path.isEmpty())
            return StepOutcome::fail(QStringLiteral("ocr: the file name is empty"));

        ocr::OcrOptions options = m_options;
        options.deadline = steadyDeadline(ctx.deadline());
        auto read = m_engine.readDocument(path, options);
        if (!read) {
            const Error &error = read.error();
            // The step's time limit, not the document: try again later (the engine words
            // the reason).
            if (error.code() == ErrorCode::Timeout && ctx.deadline().hasExpired())
                return StepOutcome::retryLater(std::chrono::milliseconds(0), QStringLiteral("ocr: %1").arg(error.message()));
            switch (error.code()) {
            case ErrorCode::NotFound:
                return StepOutcome::fail(QStringLiteral("ocr: %1").arg(error.toString()));
            case ErrorCode::Unreadable:
            case ErrorCode::Timeout:
                // A person can still look at the scan, or ask the sender for a better copy.
                return unreadable(ctx, path, error.toString(), {});
            default:
                // Missing language data and the like: the installation, not this document.
                return StepOutcome::fail(QStringLiteral("ocr: %1").arg(error.toString()));
            }
        }

        const ocr::OcrDocument &document = *read;
        const QJsonObject outputs{
            {QStringLiteral("text"), document.text},
            {QStringLiteral("page_count"), document.pageCount},
            {QStringLiteral("pages_read"), int(document.pages.size())},
            {QStringLiteral("blank_pages"), document.blankPageCount()},
            {QStringLiteral("mean_confidence"), rounded(document.meanConfidence / 100.0)},
            {QStringLiteral("readability"), rounded(document.readability)},
            {QStringLiteral("pages"), pageSummaries(document)},
        };
        if (document.pages.size() == document.blankPageCount())
            return unreadable(ctx, path, QStringLiteral("every page is blank"), outputs);
        if (document.readability < m_minReadability) {
            QStringList low;
            for (const ocr::OcrPage &page : document.pages) {
                if (!page.blank && page.readability < m_minReadability)
                    low.append(QString::number(page.number));
            }
            return unreadable(ctx, path,
                              QStringLiteral("too little of the text was recognised on page %1 (readability %2, "
                                             "below %3)")
                                  .arg(low.join(QStringLiteral(", ")))
                                  .arg(rounded(document.readability, 2))
                                  .arg(m_minReadability),
                              outputs);
        }
        return StepOutcome::continueWith(outputs);
    }

private:
    // The reason names the problem, never the document's content: reasons reach the logs.
    //
    // A person looking at the scan is asked what the later steps would have worked out of
    // its text, not to type the text: a later classify step's category (its categories
    // are the choices) and the fields of later extract steps. The answer's outputs carry
    // an empty text and `answered` ({step id: [field, ...]}), by which the engine lets
    // the person's values answer those steps. A bot with neither step asks for the text.
    StepOutcome unreadable(const StepContext &ctx, const QString &path, const QString &why, QJsonObject evidence) const
    {
        HumanRequest request;
        request.kind = ReasonKind::Unreadable;
        request.reason = QStringLiteral("unreadable document: %1").arg(why);
        evidence.insert(QStringLiteral("file"), path);
        evidence.insert(QStringLiteral("problem"), why);
        evidence.insert(QStringLiteral("min_readability"), m_minReadability);
        request.evidence = evidence;
        request.team = ctx.step().team;

        QJsonObject answered;
        const QList<bot::StepDefinition> &steps = ctx.bot().steps;
        for (qsizetype i = ctx.stepIndex() + 1; i < steps.size(); ++i) {
            const bot::StepDefinition &later = steps.at(i);
            QStringList names;
            if (later.type == QLatin1String("classify") && !request.fields.contains(QStringLiteral("category"))) {
                names.append(QStringLiteral("category"));
                const QJsonObject categories = later.params.value(QStringLiteral("categories")).toObject();
                for (auto it = categories.begin(); it != categories.end(); ++it) {
                    const QString label = it.value().toObject().value(QStringLiteral("label")).toString();
                    request.choices.append(HumanChoice{it.key(), label.isEmpty() ? it.key() : label,
                                                       QJsonObject{{QStringLiteral("outputs"),
                                                                    QJsonObject{{QStringLiteral("category"), it.key()}}}}});
                }
            } else if (later.type == QLatin1String("extract")) {
                const QJsonObject fields = later.params.value(QStringLiteral("fields")).toObject();
                for (auto it = fields.begin(); it != fields.end(); ++it) {
                    if (!request.fields.contains(it.key()))
                        names.append(it.key());
                }
            }
            if (names.isEmpty())
                continue;
            request.fields.append(names);
            answered.insert(later.id, QJsonArray::fromStringList(names));
        }
        if (answered.isEmpty()) {
            request.fields = {QStringLiteral("text")};
            return StepOutcome::needsHuman(request);
        }
        request.outputs = {{QStringLiteral("text"), QString()}, {QStringLiteral("answered"), answered}};
        return StepOutcome::needsHuman(request);
    }

    bot::Template m_file;
    ocr::OcrOptions m_options;
    double m_minReadability;
    ocr::OcrEngine m_engine;
};

// The keys of the ocr step's params block, declared once: the schema lists them and
// createOcrStep reads them.
struct OcrParams {
    ParamSpec file = ParamSpec::of(QStringLiteral("file"), ValueType::Path,
                          QStringLiteral("The document to read (relative paths start at the bot file's folder). A path "
                                         "from the item's data must lie under the bot's intake folders (its watched "
                                         "folder, mailbox folder, allowed_paths or clerk run's --input paths); "
                                         "otherwise the item fails."))
                .withDefault(QStringLiteral("{{ input.file }}"))
                .withTemplates();
    ParamSpec language = ParamSpec::of(QStringLiteral("language"), ValueType::String,
                          QStringLiteral("Tesseract language code(s), e.g. eng, or eng+cym for English and Welsh; each "
                                         "needs its tesseract-ocr-* package on the server."))
                .withDefault(QStringLiteral("eng"))
                .withCheck([](const QJsonValue &value) {
                    static const QRegularExpression codes(QStringLiteral("^[a-z_]+(\\+[a-z_]+)*$"));
                    return codes.match(value.toString()).hasMatch()
                               ? QString()
                               : QStringLiteral("language codes are lower-case words joined by +, e.g. eng+cym");
                });
    ParamSpec maxPages = ParamSpec::of(QStringLiteral("max_pages"), ValueType::Integer,
                          QStringLiteral("Pages after this many are not read (`page_count` still counts them)."))
                .withDefault(20)
                .withRange(1, 1000);
    ParamSpec maxPixels = ParamSpec::of(QStringLiteral("max_pixels"), ValueType::Integer,
                          QStringLiteral("Largest page image accepted, in pixels (width x height); larger images are "
                                         "refused unread, which protects the server from oversized or malicious files. "
                                         "An A4 page at 300 dpi is about 8.7 million."))
                .withDefault(100'000'000)
                .withRange(1'000'000, 1'000'000'000);
    ParamSpec pageTimeout = ParamSpec::of(QStringLiteral("page_timeout"), ValueType::Duration,
                          QStringLiteral("How long one page may take to read before a person is asked instead."))
                .withDefault(QStringLiteral("60s"));
    ParamSpec minReadability = ParamSpec::of(QStringLiteral("min_readability"), ValueType::Threshold,
                          QStringLiteral("Readability (0-1) every page must reach: the share of the page's text-like marks "
                                         "that were recognised with confidence. Below it a person checks the document, "
                                         "because text may be missing. Default: the bot's `thresholds.ocr_readability`, "
                                         "else 0.5."));
    ParamSpec useTextLayer = ParamSpec::of(QStringLiteral("use_text_layer"), ValueType::Boolean,
                          QStringLiteral("Use a PDF page's own text when it has enough; false reads every page as an image."))
                .withDefault(true);
    QList<ParamSpec> all() const { return {file, language, maxPages, maxPixels, pageTimeout, minReadability, useTextLayer}; }
};

const OcrParams &ocrParams()
{
    static const OcrParams keys;
    return keys;
}

Result<std::unique_ptr<Step>> createOcrStep(const bot::BotDefinition &bot, const bot::StepDefinition &definition)
{
    const QJsonObject &params = definition.params;
    const QString where = QStringLiteral("step %1").arg(definition.id);
    const OcrParams &keys = ocrParams();
    auto file = bot::Template::parse(keys.file.stringIn(params));
    if (!file)
        return fail(file.error().withContext(where));

    ocr::OcrOptions options;
    options.language = keys.language.stringIn(params);
    options.maxPages = keys.maxPages.intIn(params);
    options.maxPixelsPerPage = qint64(keys.maxPixels.numberIn(params));
    auto timeout = parseDuration(keys.pageTimeout.stringIn(params));
    if (!timeout)
        return fail(timeout.error().withContext(where));
    options.pageTimeout = *timeout;
    options.useTextLayer = keys.useTextLayer.boolIn(params);

    const double minReadability = keys.minReadability.isIn(params)
                                      ? keys.minReadability.numberIn(params)
                                      : bot.thresholds.value(QStringLiteral("ocr_readability"), kDefaultMinReadability);
    return std::make_unique<OcrStep>(std::move(*file), std::move(options), minReadability);
}

} // namespace

StepType ocrStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("ocr");
    schema.summary = QStringLiteral(
        "Reads the text of a scanned or born-digital document (PNG, JPEG, TIFF including multi-page and G4 fax, "
        "PDF). Pages are turned upright and straightened first, blank backs of duplex scans are skipped, small "
        "print under 200 dpi (faxes, forms scanned at 100 dpi) is read at twice its size, and a "
        "PDF's own text is used when it has some. When a file cannot be read, or too little of a page's text was "
        "recognised, a person is asked to look at the document. Outputs `text` (pages separated by form feeds), "
        "`page_count`, `pages_read`, `blank_pages`, `mean_confidence` and `readability` (0-1; the lowest page's), and "
        "`pages` (per page: number, confidence, readability, blank, rotation, skew, from_text_layer).");
    schema.params = ocrParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("text"),        QStringLiteral("page_count"),      QStringLiteral("pages_read"),
                           QStringLiteral("blank_pages"), QStringLiteral("mean_confidence"), QStringLiteral("readability"),
                           QStringLiteral("pages"),       QStringLiteral("choice"),          QStringLiteral("decided_by")};
    };
    schema.example = QStringLiteral(
        "- id: ocr\n"
        "  type: ocr\n"
        "  params:\n"
        "    file: \"{{ input.file }}\"\n"
        "    max_pages: 10\n"
        "    min_readability: 0.6\n");
    return {schema, createOcrStep};
}

} // namespace clerk::engine
