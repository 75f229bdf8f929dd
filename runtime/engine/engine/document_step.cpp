// The document step: renders a letter as a PDF (A4, a UK letter's layout) from a template
// and the outputs of earlier steps, with Qt's QPdfWriter and QPainter.
//
// Values from data are text only: they are laid out as text, never as markup, and they
// cannot choose where the file goes (StepContext::targetPath confines the file name as
// append_line's). The file is written through a QSaveFile, so a retried item replaces its
// own letter whole and never leaves a second file or half a file.
//
// Painting text needs a QGuiApplication (fonts come through Qt's platform plugin): clerk
// run and clerk serve create one on the offscreen platform (runtime/app/main.cpp). Without
// one the step fails the item with a message saying what is missing.
#include "engine/step_registry.h"

#include "core/logging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFont>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTextLayout>

#include <memory>
#include <vector>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {

// The most text (all the rendered parts together) a letter may hold: about 70 pages.
// Longer text comes from a fault or from hostile data, and is refused before rendering.
constexpr qsizetype kMaxLetterChars = 200'000;

struct DocumentParams {
    ParamSpec templ = ParamSpec::of(QStringLiteral("template"), ValueType::Template,
                                    QStringLiteral("The letter's text, with {{ }} fields from the input and earlier steps. A "
                                                   "blank line starts a new paragraph; a single line break is kept. Give "
                                                   "template or template_file."));
    ParamSpec templateFile = ParamSpec::of(QStringLiteral("template_file"), ValueType::Path,
                                           QStringLiteral("A file holding the letter's text (as template), relative to the "
                                                          "bot file's folder, read when clerk loads the bot to run it (a missing file stops it there)."));
    ParamSpec title = ParamSpec::of(QStringLiteral("title"), ValueType::Template,
                                    QStringLiteral("A heading printed in bold above the letter's text."));
    ParamSpec header = ParamSpec::of(QStringLiteral("header"), ValueType::Template,
                                     QStringLiteral("The sender's block (the council's name and address), printed at the top "
                                                    "right of every page."));
    ParamSpec reference = ParamSpec::of(QStringLiteral("reference"), ValueType::Template,
                                        QStringLiteral("The letter's reference, printed in every page's footer beside "
                                                       "\"Page N of M\"."));
    ParamSpec to = ParamSpec::of(QStringLiteral("to"), ValueType::Template,
                                 QStringLiteral("The recipient's name and address, one line each, printed where a window "
                                                "envelope shows it (20 mm from the left, 50 mm from the top)."));
    ParamSpec file = ParamSpec::of(QStringLiteral("file"), ValueType::Path,
                                   QStringLiteral("Where the PDF is written; replaced whole when the item is retried. A value "
                                                  "a template inserts must be one plain name (no /, \\, . or ..), and the file "
                                                  "stays under the text before the first {{. Default: letters/<item id>-<step "
                                                  "id>.pdf beside the bot file."))
                         .withTemplates();
    QList<ParamSpec> all() const { return {templ, templateFile, title, header, reference, to, file}; }
};

const DocumentParams &documentParams()
{
    static const DocumentParams keys;
    return keys;
}

// The letter's type: DejaVu Sans (fonts-dejavu-core), without ligatures, so the PDF's
// text reads back as written ("fi", not one glyph) for search and screen readers.
QFont letterFont(double points, bool bold = false)
{
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(points);
    font.setBold(bold);
    font.setStyleStrategy(QFont::PreferNoShaping);
    return font;
}

// The parts of one letter, rendered for one item.
struct Letter {
    QString header;
    QString to;
    QString title;
    QString body;
    QString reference;

    qsizetype size() const { return header.size() + to.size() + title.size() + body.size() + reference.size(); }
};

// Text from data as plain text for the page: control characters (other than line breaks
// and tabs) become spaces, CR LF becomes LF.
QString plainText(QString text)
{
    text.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    for (QChar &c : text) {
        if (c == QLatin1Char('\t'))
            c = QLatin1Char(' ');
        else if (c != QLatin1Char('\n') && (c.category() == QChar::Other_Control || c == QChar(0x2028) || c == QChar(0x2029)))
            c = QLatin1Char(' ');
    }
    return text.trimmed();
}

// The paragraphs of a text: parts separated by blank lines; a single line break stays.
QStringList paragraphsOf(const QString &text)
{
    static const QRegularExpression blank(QStringLiteral("\\n[ ]*\\n"));
    QStringList paragraphs;
    for (const QString &part : text.split(blank, Qt::SkipEmptyParts)) {
        QString paragraph = part.trimmed();
        if (!paragraph.isEmpty())
            paragraphs.append(paragraph.replace(QLatin1Char('\n'), QChar::LineSeparator));
    }
    return paragraphs;
}

// Page geometry in device pixels for an A4 page at `dpi`.
struct Geometry {
    explicit Geometry(int resolution) : dpi(resolution) {}
    double mm(double millimetres) const { return millimetres * dpi / 25.4; }
    int dpi;
    double width() const { return mm(210); }
    double height() const { return mm(297); }
    QRectF headerBox() const { return {mm(110), mm(15), mm(80), mm(32)}; }
    QRectF addressWindow() const { return {mm(20), mm(50), mm(90), mm(40)}; }
    double left() const { return mm(25); }
    double textWidth() const { return mm(160); }
    double firstBodyTop() const { return mm(100); }
    double laterBodyTop() const { return mm(52); }
    double bodyBottom() const { return mm(272); }
    QRectF footerBox() const { return {mm(20), mm(278), mm(170), mm(8)}; }
};

// One laid-out line of the body: which paragraph and line, on which page, at what height.
struct PlacedLine {
    int paragraph;
    int line;
    int page;
    double y;
};

// Lays out the title and the paragraphs into lines and places them on pages.
class BodyLayout {
public:
    BodyLayout(const Letter &letter, const Geometry &geometry, QPaintDevice *device)
    {
        const QFont body = letterFont(10.5);
        const QFont heading = letterFont(12, /*bold*/ true);
        if (!letter.title.isEmpty())
            addParagraph(QString(letter.title).replace(QLatin1Char('\n'), QChar::LineSeparator), heading, geometry, device);
        for (const QString &paragraph : paragraphsOf(letter.body))
            addParagraph(paragraph, body, geometry, device);
        place(geometry);
    }

    int pages() const { return m_pages; }

    void paint(QPainter &painter, int page) const
    {
        for (const PlacedLine &placed : m_lines) {
            if (placed.page != page)
                continue;
            const QTextLine line = m_layouts.at(placed.paragraph)->lineAt(placed.line);
            line.draw(&painter, QPointF(m_left, placed.y - line.y()));
        }
    }

private:
    void addParagraph(const QString &text, const QFont &font, const Geometry &geometry, QPaintDevice *device)
    {
        auto layout = std::make_unique<QTextLayout>(text, font, device);
        QTextOption option;
        option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
        layout->setTextOption(option);
        layout->beginLayout();
        double y = 0;
        for (QTextLine line = layout->createLine(); line.isValid(); line = layout->createLine()) {
            line.setLineWidth(geometry.textWidth());
            line.setPosition(QPointF(0, y));
            y += line.height();
        }
        layout->endLayout();
        m_gaps.append(QFontMetricsF(font, device).height() * 0.8);
        m_layouts.push_back(std::move(layout));
    }

    void place(const Geometry &geometry)
    {
        m_left = geometry.left();
        double y = geometry.firstBodyTop();
        int page = 1;
        for (int p = 0; p < static_cast<int>(m_layouts.size()); ++p) {
            const QTextLayout &layout = *m_layouts.at(p);
            for (int l = 0; l < layout.lineCount(); ++l) {
                const double height = layout.lineAt(l).height();
                if (y + height > geometry.bodyBottom()) {
                    ++page;
                    y = geometry.laterBodyTop();
                }
                m_lines.append({p, l, page, y});
                y += height;
            }
            y += m_gaps.at(p);
        }
        m_pages = page;
    }

    std::vector<std::unique_ptr<QTextLayout>> m_layouts;
    QList<double> m_gaps;  // the space after each paragraph
    QList<PlacedLine> m_lines;
    double m_left = 0;
    int m_pages = 1;
};

// Draws the parts every page has: the sender's block, and the footer with the reference
// and "Page N of M".
void paintFrame(QPainter &painter, const Letter &letter, const Geometry &geometry, int page, int pages)
{
    painter.setFont(letterFont(9));
    painter.drawText(geometry.headerBox(), Qt::AlignRight | Qt::AlignTop | Qt::TextWordWrap, letter.header);
    painter.drawText(geometry.footerBox(), Qt::AlignLeft | Qt::AlignVCenter, letter.reference);
    painter.drawText(geometry.footerBox(), Qt::AlignRight | Qt::AlignVCenter,
                     QStringLiteral("Page %1 of %2").arg(page).arg(pages));
}

// Renders `letter` as a PDF into `device`. Returns the number of pages.
Result<int> renderLetter(const Letter &letter, QIODevice *device)
{
    QPdfWriter writer(device);
    writer.setCreator(QStringLiteral("clerk"));
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
    writer.setResolution(300);
    const Geometry geometry(writer.resolution());
    const BodyLayout body(letter, geometry, &writer);

    QPainter painter;
    if (!painter.begin(&writer))
        return fail(Error::internal(QStringLiteral("cannot start painting the PDF")));
    for (int page = 1; page <= body.pages(); ++page) {
        if (page > 1)
            writer.newPage();
        paintFrame(painter, letter, geometry, page, body.pages());
        if (page == 1) {
            painter.setFont(letterFont(10.5));
            painter.drawText(geometry.addressWindow(), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, letter.to);
        }
        body.paint(painter, page);
    }
    if (!painter.end())
        return fail(Error::internal(QStringLiteral("cannot finish the PDF")));
    return body.pages();
}

bot::Template parsedOrEmpty(const QString &text)
{
    auto parsed = bot::Template::parse(text);
    return parsed ? *parsed : *bot::Template::parse(QString());
}

class DocumentStep final : public Step {
public:
    static Result<std::unique_ptr<Step>> create(const bot::BotDefinition &bot, const bot::StepDefinition &definition)
    {
        const QJsonObject &params = definition.params;
        const DocumentParams &keys = documentParams();
        const QString context = QStringLiteral("step %1").arg(definition.id);
        if (keys.templ.isIn(params) == keys.templateFile.isIn(params))
            return fail(Error::invalidArgument(QStringLiteral("document needs either template or template_file, not %1")
                                                   .arg(keys.templ.isIn(params) ? QStringLiteral("both")
                                                                                : QStringLiteral("neither")))
                            .withContext(context));
        auto text = keys.templ.isIn(params) ? Result<QString>(keys.templ.stringIn(params))
                                            : readTemplateFile(bot, keys.templateFile.stringIn(params));
        if (!text)
            return fail(text.error().withContext(context));
        auto body = bot::Template::parse(*text);
        if (!body)
            return fail(body.error().withContext(context));
        // The default file name carries the item's id and the step's, so a retried item
        // writes the same file and two items never share one.
        const QString file = keys.file.isIn(params) ? keys.file.stringIn(params)
                                                    : QStringLiteral("letters/{{ item.id }}-%1.pdf").arg(definition.id);
        auto target = bot::Template::parse(file);
        if (!target)
            return fail(target.error().withContext(context));
        auto step = std::make_unique<DocumentStep>();
        step->m_body = std::move(*body);
        step->m_file = std::move(*target);
        step->m_title = parsedOrEmpty(keys.title.stringIn(params));
        step->m_header = parsedOrEmpty(keys.header.stringIn(params));
        step->m_reference = parsedOrEmpty(keys.reference.stringIn(params));
        step->m_to = parsedOrEmpty(keys.to.stringIn(params));
        return step;
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const auto target = ctx.targetPath(m_file);
        if (!target)
            return StepOutcome::fail(QStringLiteral("document: %1").arg(target.error().message()));
        const QString path = *target;
        if (path.isEmpty() || path.endsWith(QLatin1Char('/')))
            return StepOutcome::fail(QStringLiteral("document: the file name is empty"));
        const Letter letter{plainText(ctx.render(m_header)), plainText(ctx.render(m_to)), plainText(ctx.render(m_title)),
                            plainText(ctx.render(m_body)), plainText(ctx.render(m_reference))};
        if (letter.size() > kMaxLetterChars)
            return StepOutcome::fail(QStringLiteral("document: the letter's text is %1 characters, more than the %2 a "
                                                    "letter may hold")
                                         .arg(letter.size())
                                         .arg(kMaxLetterChars));
        if (!qobject_cast<QGuiApplication *>(QCoreApplication::instance()))
            return StepOutcome::fail(QStringLiteral(
                "document: rendering a PDF needs Qt's offscreen platform (Debian package qt6-qpa-plugins) and fonts "
                "(fonts-dejavu-core); this clerk process runs without them"));

        auto first = ctx.beginAction();
        if (!first)
            return StepOutcome::retryLater(std::chrono::seconds(1), first.error().toString());
        if (!QDir().mkpath(QFileInfo(path).absolutePath()))
            return StepOutcome::retryLater(std::chrono::seconds(30),
                                           QStringLiteral("document: cannot create the folder of %1").arg(path));
        QSaveFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return StepOutcome::retryLater(std::chrono::seconds(30),
                                           QStringLiteral("document: cannot write %1: %2").arg(path, out.errorString()));
        const auto pages = renderLetter(letter, &out);
        if (!pages) {
            out.cancelWriting();
            return StepOutcome::fail(QStringLiteral("document: %1").arg(pages.error().message()));
        }
        if (!out.commit())
            return StepOutcome::retryLater(std::chrono::seconds(30),
                                           QStringLiteral("document: cannot write %1: %2").arg(path, out.errorString()));
        return finish(ctx, path, *pages);
    }

    QString describeAction(const StepContext &ctx) const override
    {
        const auto target = ctx.targetPath(m_file);
        if (!target)
            return QStringLiteral("refuse to write a letter: %1").arg(target.error().message());
        return QStringLiteral("write a letter (PDF) to %1").arg(*target);
    }

private:
    static Result<QString> readTemplateFile(const bot::BotDefinition &bot, const QString &name)
    {
        const QString path = QDir::cleanPath(QDir(bot.baseDir).absoluteFilePath(name));
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(Error::notFound(QStringLiteral("cannot read template_file %1: %2").arg(path, file.errorString())));
        const QByteArray bytes = file.read(kMaxLetterChars * 4 + 1);
        if (bytes.size() > kMaxLetterChars * 4)
            return fail(Error::invalidArgument(QStringLiteral("template_file %1 is too long for a letter").arg(path)));
        return QString::fromUtf8(bytes);
    }

    static StepOutcome finish(StepContext &ctx, const QString &path, int pages)
    {
        if (auto finished = ctx.finishAction(); !finished)
            return StepOutcome::retryLater(std::chrono::seconds(1), finished.error().toString());
        QFile written(path);
        QCryptographicHash hash(QCryptographicHash::Sha256);
        if (!written.open(QIODevice::ReadOnly) || !hash.addData(&written))
            return StepOutcome::retryLater(std::chrono::seconds(30), QStringLiteral("document: cannot read back %1").arg(path));
        // Counts only: the letter's text and the person's fields stay out of the logs.
        qCDebug(lcEngine) << "item" << ctx.item().id << "step" << ctx.step().id << "wrote a letter of" << pages << "pages";
        return StepOutcome::continueWith({{QStringLiteral("file"), path},
                                          {QStringLiteral("pages"), pages},
                                          {QStringLiteral("bytes"), written.size()},
                                          {QStringLiteral("sha256"), QString::fromLatin1(hash.result().toHex())}});
    }

    bot::Template m_body;
    bot::Template m_file;
    bot::Template m_title;
    bot::Template m_header;
    bot::Template m_reference;
    bot::Template m_to;
};

} // namespace

StepType documentStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("document");
    schema.summary = QStringLiteral(
        "Renders a letter as a PDF (A4): the sender's block at the top of every page, the recipient's address where a "
        "window envelope shows it, a title, the text in paragraphs flowing onto as many pages as it needs, and a footer "
        "with the reference and \"Page N of M\". Values from earlier steps are printed as text only. A retried item "
        "writes the same file again, replacing it whole. Outputs `file` (absolute), `pages`, `bytes` and `sha256`.");
    schema.sideEffects = true;
    schema.params = documentParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("file"), QStringLiteral("pages"), QStringLiteral("bytes"), QStringLiteral("sha256")};
    };
    schema.example = QStringLiteral(
        "- id: letter\n"
        "  type: document\n"
        "  params:\n"
        "    header: \"Example Council\\nRevenues, Town Hall\\nEX1 1AA\"\n"
        "    to: \"{{ case.forename }} {{ case.surname }}\\n{{ case.postcode }}\"\n"
        "    reference: \"Our reference: FA-{{ assessment.id }}\"\n"
        "    title: Your financial assessment\n"
        "    template_file: templates/assessment.txt\n"
        "    file: \"letters/assessment-{{ assessment.id }}.pdf\"\n");
    return {schema, DocumentStep::create};
}

} // namespace clerk::engine
