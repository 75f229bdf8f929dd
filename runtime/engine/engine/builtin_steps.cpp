// Built-in steps: enough to write useful bots without OCR, matching or REST.
//   set          computes named values from templates
//   require      hands the item to a person when a value is missing or malformed
//   route        picks the team that owns the item from a value
//   append_line  appends one line to a file (an export, a log for another system)
//   move_file    moves the input document to a folder (filing done/failed post)
#include "engine/builtin_steps_p.h"

#include "core/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

#include <optional>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clerk::engine {

using bot::ParamSpec;
using bot::ValueType;

namespace {

bot::Template templateOf(const QString &text)
{
    // Params were validated by the loader, so parsing cannot fail here; an empty
    // template renders as empty text if it somehow does.
    auto parsed = bot::Template::parse(text);
    return parsed ? *parsed : *bot::Template::parse(QString());
}

bot::Template templateParam(const ParamSpec &key, const QJsonObject &params)
{
    return templateOf(key.stringIn(params));
}

QString jsonToText(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isDouble()) {
        const double d = value.toDouble();
        return d == static_cast<double>(static_cast<qint64>(d)) ? QString::number(static_cast<qint64>(d))
                                                                : QString::number(d);
    }
    if (value.isBool())
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    return {};
}

// ---- the params blocks: each key, its description and its default, declared once ------
// The schema lists them; the steps read their values through them.

struct SetParams {
    ParamSpec values = ParamSpec::mapOf(QStringLiteral("values"),
                                        ParamSpec::of(QStringLiteral("value"), ValueType::Template,
                                                      QStringLiteral("A template; a lone reference keeps its JSON type.")),
                                        QStringLiteral("The values to compute, by name."), true);
    QList<ParamSpec> all() const { return {values}; }
};

const SetParams &setParams()
{
    static const SetParams keys;
    return keys;
}

struct RequireParams {
    ParamSpec value = ParamSpec::of(QStringLiteral("value"), ValueType::Template, QStringLiteral("The value to check."), true);
    ParamSpec field = ParamSpec::of(QStringLiteral("field"), ValueType::Identifier,
                                    QStringLiteral("The name of the output, and of the field a person is asked to give."))
                          .withDefault(QStringLiteral("value"));
    ParamSpec matches = ParamSpec::of(QStringLiteral("matches"), ValueType::Regex,
                                      QStringLiteral("A regular expression the whole value must match."));
    ParamSpec oneOf = ParamSpec::listOf(QStringLiteral("one_of"),
                                        ParamSpec::of(QStringLiteral("value"), ValueType::String, QStringLiteral("An accepted value.")),
                                        QStringLiteral("The accepted values (compared without regard to case)."));
    ParamSpec reason = ParamSpec::of(QStringLiteral("reason"), ValueType::String,
                                     QStringLiteral("What the person is told when the check fails; by default it names the field and the problem."));
    ParamSpec choices = ParamSpec::listOf(QStringLiteral("choices"),
                                          ParamSpec::of(QStringLiteral("choice"), ValueType::String, QStringLiteral("A choice.")),
                                          QStringLiteral("Answers the person may pick instead of typing a value."));
    QList<ParamSpec> all() const { return {value, field, matches, oneOf, reason, choices}; }
};

const RequireParams &requireParams()
{
    static const RequireParams keys;
    return keys;
}

struct RouteParams {
    ParamSpec value = ParamSpec::of(QStringLiteral("value"), ValueType::Template, QStringLiteral("The value to route on."), true);
    ParamSpec routes = ParamSpec::mapOf(QStringLiteral("routes"),
                                        ParamSpec::of(QStringLiteral("team"), ValueType::Identifier, QStringLiteral("A team.")),
                                        QStringLiteral("Value -> team."), true);
    ParamSpec fallback = ParamSpec::of(QStringLiteral("default"), ValueType::Identifier,
                                       QStringLiteral("The team for values with no route; without it a person decides."));
    ParamSpec caseSensitive = ParamSpec::of(QStringLiteral("case_sensitive"), ValueType::Boolean,
                                            QStringLiteral("Compare values with regard to case.")).withDefault(false);
    QList<ParamSpec> all() const { return {value, routes, fallback, caseSensitive}; }
};

const RouteParams &routeParams()
{
    static const RouteParams keys;
    return keys;
}

struct LookupParams {
    ParamSpec value = ParamSpec::of(QStringLiteral("value"), ValueType::Template, QStringLiteral("The value to look up."), true);
    ParamSpec table = ParamSpec::mapOf(QStringLiteral("table"),
                                       ParamSpec::of(QStringLiteral("result"), ValueType::Any, QStringLiteral("What the value stands for.")),
                                       QStringLiteral("Value -> result."), true);
    ParamSpec fallback = ParamSpec::of(QStringLiteral("default"), ValueType::Any, QStringLiteral("The result for values not in the table."));
    QList<ParamSpec> all() const { return {value, table, fallback}; }
};

const LookupParams &lookupParams()
{
    static const LookupParams keys;
    return keys;
}

struct AppendLineParams {
    ParamSpec file = ParamSpec::of(QStringLiteral("file"), ValueType::Path,
                                   QStringLiteral("The file to append to; created if missing. A value a template inserts must be one "
                                                  "plain name (no /, \\, . or ..), and the file stays under the text before the "
                                                  "first {{."),
                                   true)
                         .withTemplates();
    ParamSpec line = ParamSpec::of(QStringLiteral("line"), ValueType::Template,
                                   QStringLiteral("The line, without a line break. In csv format its fields are the parts between "
                                                  "the commas written here; each is quoted as needed. Give line or fields."));
    ParamSpec fields = ParamSpec::listOf(QStringLiteral("fields"),
                                         ParamSpec::of(QStringLiteral("field"), ValueType::Template, QStringLiteral("One field's value.")),
                                         QStringLiteral("The line's fields, each a template, instead of line: written as one CSV row "
                                                        "(joined by commas in raw format)."));
    ParamSpec format = ParamSpec::oneOf(QStringLiteral("format"), {QStringLiteral("csv"), QStringLiteral("raw")},
                                        QStringLiteral("csv: fields quoted and formulas neutralised; raw: the line as rendered, for "
                                                       "files that are not CSV (a value holding CR or LF fails the item). Default: csv "
                                                       "for a file ending in .csv, else raw."));
    ParamSpec header = ParamSpec::listOf(QStringLiteral("header"),
                                         ParamSpec::of(QStringLiteral("name"), ValueType::String, QStringLiteral("A column name.")),
                                         QStringLiteral("Column names, written as the first line when the file is created (or empty)."));
    QList<ParamSpec> all() const { return {file, line, fields, format, header}; }
};

const AppendLineParams &appendLineParams()
{
    static const AppendLineParams keys;
    return keys;
}

struct MoveFileParams {
    ParamSpec from = ParamSpec::of(QStringLiteral("from"), ValueType::Path,
                                   QStringLiteral("The file to move. A path from the item's data must lie under the bot's intake "
                                                  "folders (its watched folder, mailbox folder, allowed_paths or clerk run's "
                                                  "--input paths); otherwise the item fails."))
                         .withDefault(QStringLiteral("{{ input.file }}"))
                         .withTemplates();
    ParamSpec to = ParamSpec::of(QStringLiteral("to"), ValueType::Path,
                                 QStringLiteral("The folder to move it into; created if missing. A value a template inserts (a "
                                                "team, a person's answer) must be one plain name (no /, \\, . or ..), and the "
                                                "folder stays under the text before the first {{."),
                                 true)
                       .withTemplates();
    ParamSpec onConflict = ParamSpec::oneOf(QStringLiteral("on_conflict"),
                                            {QStringLiteral("rename"), QStringLiteral("overwrite"), QStringLiteral("fail")},
                                            QStringLiteral("What to do when the folder already holds a file of that name: "
                                                           "rename adds the item id to the name."))
                               .withDefault(QStringLiteral("rename"));
    QList<ParamSpec> all() const { return {from, to, onConflict}; }
};

const MoveFileParams &moveFileParams()
{
    static const MoveFileParams keys;
    return keys;
}

// ---- set --------------------------------------------------------------------------------

class SetStep final : public Step {
public:
    explicit SetStep(const QJsonObject &params)
    {
        const QJsonObject values = setParams().values.objectIn(params);
        for (auto it = values.begin(); it != values.end(); ++it)
            m_values.append({it.key(), templateOf(it.value().toString())});
    }

    StepOutcome run(StepContext &ctx) const override
    {
        QJsonObject outputs;
        for (const auto &[name, value] : m_values)
            outputs.insert(name, ctx.renderValue(value));
        return StepOutcome::continueWith(outputs);
    }

private:
    QList<std::pair<QString, bot::Template>> m_values;
};

// ---- require ----------------------------------------------------------------------------

class RequireStep final : public Step {
public:
    explicit RequireStep(const QJsonObject &params)
        : m_value(templateParam(requireParams().value, params)),
          m_field(requireParams().field.stringIn(params)),
          m_reason(requireParams().reason.stringIn(params))
    {
        const QString pattern = requireParams().matches.stringIn(params);
        if (!pattern.isEmpty())
            m_matches = QRegularExpression(QStringLiteral("^(?:%1)$").arg(pattern));
        for (const QJsonValue &v : requireParams().oneOf.listIn(params))
            m_oneOf.append(jsonToText(v));
        for (const QJsonValue &v : requireParams().choices.listIn(params))
            m_choices.append({jsonToText(v), {}, {}});
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const QString value = ctx.render(m_value).trimmed();
        QString problem;
        if (value.isEmpty())
            problem = QStringLiteral("%1 is missing").arg(m_field);
        else if (m_matches.isValid() && !m_matches.pattern().isEmpty() && !m_matches.match(value).hasMatch())
            problem = QStringLiteral("%1 is not in the expected form").arg(m_field);
        else if (!m_oneOf.isEmpty() && !m_oneOf.contains(value, Qt::CaseInsensitive))
            problem = QStringLiteral("%1 is not one of the accepted values").arg(m_field);

        if (problem.isEmpty())
            return StepOutcome::continueWith({{m_field, value}});

        HumanRequest request;
        request.kind = ReasonKind::MissingValue;
        request.reason = m_reason.isEmpty() ? problem : m_reason;
        request.evidence = {{QStringLiteral("field"), m_field},
                            {QStringLiteral("value"), value},
                            {QStringLiteral("problem"), problem}};
        if (m_matches.isValid() && !m_matches.pattern().isEmpty())
            request.evidence.insert(QStringLiteral("expected_pattern"), m_matches.pattern());
        request.fields = {m_field};
        request.choices = m_choices;
        request.team = ctx.step().team;
        return StepOutcome::needsHuman(request);
    }

    // A typed value goes through the value template's filters and the same checks as the
    // step's own value; one of the bot author's own choices is taken as it is.
    Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer) const override
    {
        Q_UNUSED(question);
        if (!answer.fields.contains(m_field))
            return answer;
        const QString value = applyValueFilters(m_value, jsonToText(answer.fields.value(m_field)));
        if (value.isEmpty())
            return fail(Error::invalidArgument(QStringLiteral("%1 is empty: give a value").arg(m_field)));
        if (m_matches.isValid() && !m_matches.pattern().isEmpty() && !m_matches.match(value).hasMatch()) {
            return fail(Error::invalidArgument(QStringLiteral("the %1 given is not in the expected form (%2)")
                                                   .arg(m_field, m_matches.pattern())));
        }
        if (!m_oneOf.isEmpty() && !m_oneOf.contains(value, Qt::CaseInsensitive)) {
            return fail(Error::invalidArgument(QStringLiteral("the %1 given is not one of the accepted values: %2")
                                                   .arg(m_field, m_oneOf.join(QStringLiteral(", ")))));
        }
        answer.fields.insert(m_field, value);
        return answer;
    }

private:
    bot::Template m_value;
    QString m_field;
    QString m_reason;
    QRegularExpression m_matches{QString()};
    QStringList m_oneOf;
    QList<HumanChoice> m_choices;
};

// ---- route ------------------------------------------------------------------------------

class RouteStep final : public Step {
public:
    explicit RouteStep(const QJsonObject &params)
        : m_value(templateParam(routeParams().value, params)),
          m_default(routeParams().fallback.stringIn(params)),
          m_caseSensitive(routeParams().caseSensitive.boolIn(params))
    {
        const QJsonObject routes = routeParams().routes.objectIn(params);
        for (auto it = routes.begin(); it != routes.end(); ++it)
            m_routes.append({it.key(), it.value().toString()});
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const QString value = ctx.render(m_value).trimmed();
        const Qt::CaseSensitivity cs = m_caseSensitive ? Qt::CaseSensitive : Qt::CaseInsensitive;
        for (const auto &[when, team] : m_routes) {
            if (QString::compare(when, value, cs) == 0)
                return StepOutcome::continueWith({{QStringLiteral("team"), team}, {QStringLiteral("matched"), when}});
        }
        if (!m_default.isEmpty())
            return StepOutcome::continueWith({{QStringLiteral("team"), m_default}, {QStringLiteral("matched"), QString()}});

        HumanRequest request;
        request.kind = value.isEmpty() ? ReasonKind::MissingValue : ReasonKind::NoMatch;
        // The value itself goes into the evidence, not the reason: reasons reach the logs.
        request.reason = value.isEmpty() ? QStringLiteral("nothing to route on")
                                         : QStringLiteral("no route for this value and no default team");
        request.evidence = {{QStringLiteral("value"), value}};
        QSet<QString> seen;
        for (const auto &route : m_routes) {
            if (!seen.contains(route.second)) {
                seen.insert(route.second);
                request.choices.append({route.second, route.second, {}});
            }
        }
        request.fields = {QStringLiteral("team")};
        request.team = ctx.step().team;
        return StepOutcome::needsHuman(request);
    }

    // The team a person names must be one this step routes to (a typo would send the item
    // to a queue nobody reads); it is written as the routes write it.
    Result<store::Decision> checkAnswer(const store::ExceptionItem &question, store::Decision answer) const override
    {
        Q_UNUSED(question);
        const QString key = QStringLiteral("team");
        if (!answer.fields.contains(key))
            return answer;
        const QString given = jsonToText(answer.fields.value(key)).trimmed();
        QStringList known;
        for (const auto &route : m_routes) {
            if (!known.contains(route.second))
                known.append(route.second);
        }
        if (!m_default.isEmpty() && !known.contains(m_default))
            known.append(m_default);
        for (const QString &team : std::as_const(known)) {
            if (QString::compare(team, given, Qt::CaseInsensitive) == 0) {
                answer.fields.insert(key, team);
                return answer;
            }
        }
        return fail(Error::invalidArgument(given.isEmpty()
                                               ? QStringLiteral("team is empty: name one of %1").arg(known.join(QStringLiteral(", ")))
                                               : QStringLiteral("\"%1\" is not a team this step routes to: %2")
                                                     .arg(given, known.join(QStringLiteral(", ")))));
    }

private:
    bot::Template m_value;
    QList<std::pair<QString, QString>> m_routes;
    QString m_default;
    bool m_caseSensitive;
};

// ---- append_line ------------------------------------------------------------------------

// One CSV field per RFC 4180, neutralised against formula injection as OWASP advises: a
// value starting with =, +, -, @, tab or CR is prefixed with a single quote, inside the
// quotes, so a spreadsheet shows it as text instead of running it. A plain number
// ("-12.5") is left alone: it cannot be a formula. Quoted only when it has to be.
QString csvField(const QString &text)
{
    static const QRegularExpression plainNumber(QStringLiteral("^[+-]?[0-9]+(\\.[0-9]+)?$"));
    static const QString formulaStarts = QStringLiteral("=+-@\t\r");
    QString value = text;
    bool quote = false;
    if (!value.isEmpty() && formulaStarts.contains(value.front()) && !plainNumber.match(value).hasMatch()) {
        value.prepend(QLatin1Char('\''));
        quote = true;
    }
    if (value.contains(QLatin1Char(',')) || value.contains(QLatin1Char('"')) || value.contains(QLatin1Char('\r')) ||
        value.contains(QLatin1Char('\n')))
        quote = true;
    if (!quote)
        return value;
    value.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + value + QLatin1Char('"');
}

// The fields of a `line` template in csv format: the parts between the commas the bot's
// author wrote, outside {{ }} and outside double quotes. A field the author quoted
// ("{{ a }}, {{ b }}") loses its quotes, since clerk quotes what needs it.
Result<QList<bot::Template>> csvFieldsOf(const QString &line)
{
    QStringList pieces;
    QString current;
    bool inReference = false;
    bool inQuotes = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (!inReference && line.mid(i, 2) == QLatin1String("{{")) {
            inReference = true;
        } else if (inReference && line.mid(i, 2) == QLatin1String("}}")) {
            inReference = false;
            current += QLatin1String("}}");
            ++i;
            continue;
        } else if (!inReference && c == QLatin1Char('"')) {
            inQuotes = !inQuotes;
        } else if (!inReference && !inQuotes && c == QLatin1Char(',')) {
            pieces.append(current);
            current.clear();
            continue;
        }
        current += c;
    }
    pieces.append(current);

    QList<bot::Template> fields;
    for (QString piece : std::as_const(pieces)) {
        if (piece.size() >= 2 && piece.startsWith(QLatin1Char('"')) && piece.endsWith(QLatin1Char('"')))
            piece = piece.mid(1, piece.size() - 2).replace(QLatin1String("\"\""), QLatin1String("\""));
        auto parsed = bot::Template::parse(piece);
        if (!parsed)
            return fail(parsed.error());
        fields.append(std::move(*parsed));
    }
    return fields;
}

// Appends with one write() under an exclusive flock, so concurrent workers never
// interleave lines, and checks for the line first when an earlier attempt may have
// written it already.
class AppendLineStep final : public Step {
public:
    enum class Format { Auto, Csv, Raw };

    AppendLineStep(bot::Template file, std::optional<bot::Template> line, QList<bot::Template> lineFields,
                   QList<bot::Template> fields, Format format, QStringList header)
        : m_file(std::move(file)), m_line(std::move(line)), m_lineFields(std::move(lineFields)),
          m_fields(std::move(fields)), m_format(format), m_header(std::move(header))
    {
    }

    static Result<std::unique_ptr<Step>> create(const bot::BotDefinition &, const bot::StepDefinition &definition)
    {
        const QJsonObject &params = definition.params;
        const AppendLineParams &keys = appendLineParams();
        const bool hasLine = keys.line.isIn(params);
        const bool hasFields = keys.fields.isIn(params);
        if (hasLine == hasFields)
            return fail(Error::invalidArgument(QStringLiteral("append_line needs either line or fields, not %1")
                                                   .arg(hasLine ? QStringLiteral("both") : QStringLiteral("neither"))));
        std::optional<bot::Template> line;
        QList<bot::Template> lineFields;
        if (hasLine) {
            const QString text = keys.line.stringIn(params);
            line = templateOf(text);
            auto split = csvFieldsOf(text);
            if (!split)
                return fail(split.error().withContext(QStringLiteral("step %1").arg(definition.id)));
            lineFields = std::move(*split);
        }
        QList<bot::Template> fields;
        for (const QJsonValue &field : keys.fields.listIn(params)) {
            auto parsed = bot::Template::parse(field.toString());
            if (!parsed)
                return fail(parsed.error().withContext(QStringLiteral("step %1").arg(definition.id)));
            fields.append(std::move(*parsed));
        }
        const QString format = keys.format.stringIn(params);
        QStringList header;
        for (const QJsonValue &name : keys.header.listIn(params))
            header.append(name.toString());
        return std::make_unique<AppendLineStep>(
            templateParam(keys.file, params), std::move(line), std::move(lineFields), std::move(fields),
            format == QLatin1String("csv") ? Format::Csv : format == QLatin1String("raw") ? Format::Raw : Format::Auto,
            std::move(header));
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const auto target = ctx.targetPath(m_file);
        if (!target)
            return StepOutcome::fail(QStringLiteral("append_line: %1").arg(target.error().message()));
        const QString &path = *target;
        if (path.isEmpty())
            return StepOutcome::fail(QStringLiteral("append_line: the file name is empty"));
        const bool csv = isCsv(path);
        const QString line = render(ctx, csv);
        if (!csv && (line.contains(QLatin1Char('\n')) || line.contains(QLatin1Char('\r'))))
            return StepOutcome::fail(QStringLiteral("append_line: the line holds a line break (CR or LF); with format: "
                                                    "csv it would be quoted"));

        auto first = ctx.beginAction();
        if (!first)
            return StepOutcome::retryLater(std::chrono::seconds(1), first.error().toString());

        QDir().mkpath(QFileInfo(path).absolutePath());
        const QByteArray record = line.toUtf8() + '\n';
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            return failFromErrno(path);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        if (::flock(fd, LOCK_EX) != 0)
            return failFromErrno(path);

        struct stat status{};
        if (::fstat(fd, &status) != 0)
            return failFromErrno(path);
        if (!*first && status.st_size > 0 && containsRecord(fd, record))
            return finish(ctx, path, /*written*/ false);

        // The header goes out with the first line in one write, under the lock: a file
        // never holds lines without their header, whichever worker came first.
        QByteArray bytes = record;
        if (status.st_size == 0 && !m_header.isEmpty())
            bytes.prepend(headerRow(csv).toUtf8() + '\n');
        qsizetype done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd, bytes.constData() + done, static_cast<size_t>(bytes.size() - done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return failFromErrno(path);
            done += n;
        }
        if (::fsync(fd) != 0)
            return failFromErrno(path);
        return finish(ctx, path, /*written*/ true);
    }

    QString describeAction(const StepContext &ctx) const override
    {
        const auto target = ctx.targetPath(m_file);
        if (!target)
            return QStringLiteral("refuse to append a line: %1").arg(target.error().message());
        // The line as it would be written, so an author checks the export before it exists.
        constexpr qsizetype kShown = 200;
        QString line = render(ctx, isCsv(*target));
        if (line.size() > kShown)
            line = line.left(kShown) + QStringLiteral("...");
        for (QChar &c : line) {
            if (c.category() == QChar::Other_Control)
                c = QChar(0xfffd);
        }
        return QStringLiteral("append to %1: %2").arg(*target, line);
    }

private:
    bool isCsv(const QString &path) const
    {
        if (m_format != Format::Auto)
            return m_format == Format::Csv;
        return path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive);
    }

    QString render(const StepContext &ctx, bool csv) const
    {
        if (!csv && m_line)
            return ctx.render(*m_line);
        QStringList values;
        for (const bot::Template &field : m_fields.isEmpty() ? m_lineFields : m_fields)
            values.append(csv ? csvField(ctx.render(field)) : ctx.render(field));
        return values.join(QLatin1Char(','));
    }

    QString headerRow(bool csv) const
    {
        if (!csv)
            return m_header.join(QLatin1Char(','));
        QStringList names;
        for (const QString &name : m_header)
            names.append(csvField(name));
        return names.join(QLatin1Char(','));
    }

    static StepOutcome finish(StepContext &ctx, const QString &path, bool written)
    {
        if (auto finished = ctx.finishAction(); !finished)
            return StepOutcome::retryLater(std::chrono::seconds(1), finished.error().toString());
        return StepOutcome::continueWith({{QStringLiteral("file"), path}, {QStringLiteral("written"), written}});
    }

    static StepOutcome failFromErrno(const QString &path)
    {
        const int error = errno;
        const QString reason = QStringLiteral("cannot append to %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(error)));
        // A full disk or a missing network share may come back; a permission problem will not.
        if (error == ENOSPC || error == EIO || error == EAGAIN || error == ENOENT)
            return StepOutcome::retryLater(std::chrono::seconds(30), reason);
        return StepOutcome::fail(reason);
    }

    // Whether the file holds `record` (ending in a line break) at its start or after a
    // line break. A CSV record may span lines (a quoted value with line breaks), so the
    // file is searched in blocks rather than line by line.
    static bool containsRecord(int fd, const QByteArray &record)
    {
        QFile file;
        if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::DontCloseHandle))
            return false;
        file.seek(0);
        const QByteArray needle = '\n' + record;
        QByteArray window("\n");  // as if a line break came before the file's first byte
        while (!file.atEnd()) {
            window += file.read(1 << 20);
            if (window.contains(needle))
                return true;
            window = window.right(needle.size() - 1);
        }
        return false;
    }

    bot::Template m_file;
    std::optional<bot::Template> m_line;  // as written, for format: raw
    QList<bot::Template> m_lineFields;    // the line's fields, for format: csv
    QList<bot::Template> m_fields;        // the fields param, when given instead of line
    Format m_format;
    QStringList m_header;
};

// ---- move_file --------------------------------------------------------------------------

// Moves a document into a folder. Idempotent: when the source is gone and the target is
// there, an earlier attempt already moved it.
class MoveFileStep final : public Step {
public:
    explicit MoveFileStep(const QJsonObject &params)
        : m_from(templateParam(moveFileParams().from, params)),
          m_to(templateParam(moveFileParams().to, params)),
          m_onConflict(moveFileParams().onConflict.stringIn(params))
    {
    }

    StepOutcome run(StepContext &ctx) const override
    {
        // Refused paths fail the item rather than going to a person: the source came from
        // the item's data and the folder from data or an answer, and moving a file outside
        // where the bot's author meant is never the right outcome.
        const auto source = ctx.documentPath(m_from);
        if (!source)
            return StepOutcome::fail(QStringLiteral("move_file: %1").arg(source.error().message()));
        const auto destination = ctx.targetPath(m_to);
        if (!destination)
            return StepOutcome::fail(QStringLiteral("move_file: %1").arg(destination.error().message()));
        const QString &from = *source;
        const QString &folder = *destination;
        if (from.isEmpty() || folder.isEmpty())
            return StepOutcome::fail(QStringLiteral("move_file: source or target folder is empty"));
        if (!QDir().mkpath(folder))
            return StepOutcome::retryLater(std::chrono::seconds(30), QStringLiteral("cannot create folder %1").arg(folder));

        auto first = ctx.beginAction();
        if (!first)
            return StepOutcome::retryLater(std::chrono::seconds(1), first.error().toString());

        const QFileInfo document(from);
        QString target = QDir(folder).absoluteFilePath(document.fileName());
        // With on_conflict: rename, the target name carries the item id, so a retried
        // item computes the same name and an unrelated file is never overwritten.
        const QString renamed = QDir(folder).absoluteFilePath(
            QStringLiteral("%1.%2.%3").arg(document.completeBaseName()).arg(ctx.item().id).arg(document.suffix()));

        if (!document.exists()) {
            if (!*first && (QFileInfo::exists(target) || QFileInfo::exists(renamed)))
                return finish(ctx, QFileInfo::exists(renamed) ? renamed : target);
            return StepOutcome::fail(QStringLiteral("move_file: %1 does not exist").arg(from));
        }
        if (QFileInfo::exists(target)) {
            if (m_onConflict == QLatin1String("fail"))
                return StepOutcome::fail(QStringLiteral("move_file: %1 already exists").arg(target));
            if (m_onConflict == QLatin1String("overwrite"))
                QFile::remove(target);
            else
                target = renamed;
        }
        if (!QFile::rename(from, target)) {
            // rename() fails across file systems; copy then remove keeps the source until
            // the copy is complete.
            if (!QFile::copy(from, target) || !QFile::remove(from))
                return StepOutcome::retryLater(std::chrono::seconds(30),
                                               QStringLiteral("cannot move %1 to %2").arg(from, folder));
        }
        return finish(ctx, target);
    }

    QString describeAction(const StepContext &ctx) const override
    {
        const auto source = ctx.documentPath(m_from);
        if (!source)
            return QStringLiteral("refuse to move a file: %1").arg(source.error().message());
        const auto destination = ctx.targetPath(m_to);
        if (!destination)
            return QStringLiteral("refuse to move %1: %2").arg(*source, destination.error().message());
        return QStringLiteral("move %1 to %2").arg(*source, *destination);
    }

private:
    static StepOutcome finish(StepContext &ctx, const QString &target)
    {
        if (auto finished = ctx.finishAction(); !finished)
            return StepOutcome::retryLater(std::chrono::seconds(1), finished.error().toString());
        return StepOutcome::continueWith({{QStringLiteral("file"), target}});
    }

    bot::Template m_from;
    bot::Template m_to;
    QString m_onConflict;
};

// Looks a value up in a table: a team's id in the case system, a category's project.
class LookupStep final : public Step {
public:
    explicit LookupStep(const QJsonObject &params)
        : m_value(templateParam(lookupParams().value, params)),
          m_table(lookupParams().table.objectIn(params)),
          m_default(params.value(lookupParams().fallback.name))
    {
    }

    StepOutcome run(StepContext &ctx) const override
    {
        const QString key = ctx.render(m_value).trimmed();
        for (auto it = m_table.begin(); it != m_table.end(); ++it) {
            if (QString::compare(it.key(), key, Qt::CaseInsensitive) == 0)
                return StepOutcome::continueWith({{QStringLiteral("value"), it.value()}, {QStringLiteral("found"), true}});
        }
        if (!m_default.isUndefined())
            return StepOutcome::continueWith({{QStringLiteral("value"), m_default}, {QStringLiteral("found"), false}});
        // The value itself goes into the evidence, not the reason: reasons reach the logs.
        return StepOutcome::fail(QStringLiteral("lookup: the value is not in the table and there is no default"));
    }

private:
    bot::Template m_value;
    QJsonObject m_table;
    QJsonValue m_default;
};

template <typename T>
std::function<Result<std::unique_ptr<Step>>(const bot::BotDefinition &, const bot::StepDefinition &)> factory()
{
    return [](const bot::BotDefinition &, const bot::StepDefinition &definition) -> Result<std::unique_ptr<Step>> {
        return std::make_unique<T>(definition.params);
    };
}

} // namespace

StepType setStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("set");
    schema.summary = QStringLiteral("Computes named values from templates; later steps refer to them as {{ <id>.<name> }}.");
    schema.params = setParams().all();
    schema.outputs = [](const QJsonObject &params) { return setParams().values.objectIn(params).keys(); };
    schema.example = QStringLiteral(
        "- id: summary\n"
        "  type: set\n"
        "  params:\n"
        "    values:\n"
        "      subject: \"Contact form {{ item.id }}: {{ input.topic | lower }}\"\n"
        "      postcode: \"{{ input.postcode | upper | trim }}\"\n");
    return {schema, factory<SetStep>()};
}

StepType requireStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("require");
    schema.summary = QStringLiteral(
        "Checks a value; when it is missing, malformed or not accepted, a person is asked for it. "
        "Outputs the value (checked, or given by the person) under `field`.");
    schema.params = requireParams().all();
    schema.outputs = [](const QJsonObject &params) {
        return QStringList{requireParams().field.stringIn(params), QStringLiteral("choice"), QStringLiteral("decided_by")};
    };
    schema.example = QStringLiteral(
        "- id: postcode\n"
        "  type: require\n"
        "  params:\n"
        "    value: \"{{ input.postcode | upper | trim }}\"\n"
        "    field: postcode\n"
        "    matches: '[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}'\n"
        "    reason: The form has no valid UK postcode\n");
    return {schema, factory<RequireStep>()};
}

StepType routeStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("route");
    schema.summary = QStringLiteral(
        "Picks the team that owns the item from a value (a category, a form type). "
        "With no matching route and no default, a person picks the team.");
    schema.params = routeParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("team"), QStringLiteral("matched"), QStringLiteral("choice"),
                           QStringLiteral("decided_by")};
    };
    schema.example = QStringLiteral(
        "- id: route\n"
        "  type: route\n"
        "  params:\n"
        "    value: \"{{ input.topic }}\"\n"
        "    routes:\n"
        "      blue badge: blue-badge\n"
        "      adult social care: adult-social-care\n"
        "    default: customer-services\n");
    return {schema, factory<RouteStep>()};
}

StepType lookupStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("lookup");
    schema.summary = QStringLiteral(
        "Looks a value up in a table (case ignored), e.g. a team's id in the case system. A value not in the table "
        "takes the default; with no default the item fails, since the table in the bot file is wrong.");
    schema.params = lookupParams().all();
    schema.outputs = [](const QJsonObject &) { return QStringList{QStringLiteral("value"), QStringLiteral("found")}; };
    schema.example = QStringLiteral(
        "- id: team_id\n"
        "  type: lookup\n"
        "  params:\n"
        "    value: \"{{ route.team }}\"\n"
        "    table:\n"
        "      highways: 8\n"
        "      revenues: 9\n");
    return {schema, factory<LookupStep>()};
}

StepType appendLineStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("append_line");
    schema.summary = QStringLiteral(
        "Appends one line to a file, e.g. a CSV export another system imports. In csv format (the default for a "
        "file ending in .csv) each field is quoted as RFC 4180 asks, and a value starting with =, +, -, @, tab or "
        "CR gets a leading ' so a spreadsheet shows it as text rather than running it as a formula. A retried item "
        "never writes its line twice: include {{ item.id }} in the line so it is recognisable.");
    schema.sideEffects = true;
    schema.params = appendLineParams().all();
    schema.outputs = [](const QJsonObject &) {
        return QStringList{QStringLiteral("file"), QStringLiteral("written")};
    };
    schema.example = QStringLiteral(
        "- id: export\n"
        "  type: append_line\n"
        "  params:\n"
        "    file: /srv/clerk/exports/contacts.csv\n"
        "    header: [item, team, postcode, message]\n"
        "    fields:\n"
        "      - \"{{ item.id }}\"\n"
        "      - \"{{ route.team }}\"\n"
        "      - \"{{ postcode.postcode }}\"\n"
        "      - \"{{ input.message }}\"\n");
    return {schema, AppendLineStep::create};
}

StepType moveFileStepType()
{
    bot::StepTypeSchema schema;
    schema.name = QStringLiteral("move_file");
    schema.summary = QStringLiteral("Moves a file (usually the input document) into a folder, e.g. to file processed post.");
    schema.sideEffects = true;
    schema.params = moveFileParams().all();
    schema.outputs = [](const QJsonObject &) { return QStringList{QStringLiteral("file")}; };
    schema.example = QStringLiteral(
        "- id: file-away\n"
        "  type: move_file\n"
        "  params:\n"
        "    to: \"/srv/post/done/{{ route.team }}\"\n");
    return {schema, factory<MoveFileStep>()};
}

} // namespace clerk::engine
