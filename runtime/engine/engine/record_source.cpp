#include "engine/record_source.h"

#include "bot/template.h"
#include "core/logging.h"
#include "match/csv_table.h"
#include "rest/rest_connector.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>

namespace clerk::engine {

namespace {

QString digestOf(const QByteArray &bytes)
{
    return QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(32));
}

SourceRecord fromJson(const QJsonValue &value, const QString &idField, const QString &origin)
{
    SourceRecord record;
    record.origin = origin;
    if (!value.isObject()) {
        record.problem = QStringLiteral("a record must be one JSON object (a form or record)");
        return record;
    }
    record.payload = value.toObject();
    record.sourceRef = recordSourceRef(record.payload, idField);
    return record;
}

} // namespace

QString recordSourceRef(const QJsonObject &record, const QString &idField)
{
    if (!idField.isEmpty()) {
        const QJsonValue id = record.value(idField);
        const QString text = id.isDouble() ? QString::number(id.toDouble(), 'g', 17) : id.toString().trimmed();
        if (!text.isEmpty())
            return QStringLiteral("record:%1").arg(text);
    }
    // QJsonDocument writes keys in sorted order: the same record gives the same digest.
    return QStringLiteral("record-sha256:%1").arg(digestOf(QJsonDocument(record).toJson(QJsonDocument::Compact)));
}

QString recordMisfit(const QJsonObject &record, const bot::BotDefinition &bot)
{
    if (!bot.inputIdField.isEmpty()) {
        const QJsonValue id = record.value(bot.inputIdField);
        const QString text = id.isDouble() ? QString::number(id.toDouble(), 'g', 17) : id.toString().trimmed();
        if (text.isEmpty())
            return QStringLiteral("it has no %1 (the bot's input.id)").arg(bot.inputIdField);
    }
    if (bot.inputFields) {
        QStringList unknown;
        for (auto it = record.begin(); it != record.end(); ++it) {
            if (it.key() != bot.inputIdField && !bot.inputFields->contains(it.key()))
                unknown.append(it.key().left(64));
        }
        if (!unknown.isEmpty()) {
            constexpr qsizetype kNamed = 8;
            const QString named = unknown.mid(0, kNamed).join(QStringLiteral(", "))
                                  + (unknown.size() > kNamed ? QStringLiteral(" and %1 more").arg(unknown.size() - kNamed)
                                                             : QString());
            return QStringLiteral("it has fields the bot does not know: %1 (input.fields: %2)")
                .arg(named, bot.inputFields->join(QStringLiteral(", ")));
        }
    }
    return {};
}

bool isInputFileOf(const QString &fileName, const bot::BotDefinition &bot)
{
    for (const QString &pattern : bot.inputFilePatterns()) {
        const QRegularExpression wildcard(QRegularExpression::wildcardToRegularExpression(pattern.trimmed()),
                                          QRegularExpression::CaseInsensitiveOption);
        if (wildcard.match(fileName).hasMatch())
            return true;
    }
    return false;
}

Result<QList<SourceRecord>> readInputFile(const QString &path, const QString &idField)
{
    const QFileInfo info(path);
    const QString absolute = info.absoluteFilePath();
    if (!info.exists())
        return fail(Error::notFound(QStringLiteral("%1: no such file").arg(path)));
    QFile file(absolute);
    if (!file.open(QIODevice::ReadOnly))
        return fail(Error::unreadable(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString())));
    const QString suffix = info.suffix().toLower();
    QList<SourceRecord> records;

    if (suffix == QLatin1String("json")) {
        const QByteArray bytes = file.readAll();
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
        if (error.error != QJsonParseError::NoError) {
            records.append({{}, {}, absolute,
                            QStringLiteral("not valid JSON (at byte %1: %2)").arg(error.offset).arg(error.errorString())});
            return records;
        }
        const QJsonArray array = document.array();
        const bool holdsObjects = std::any_of(array.begin(), array.end(), [](const QJsonValue &v) { return v.isObject(); });
        if (document.isArray() && holdsObjects) {
            for (qsizetype i = 0; i < array.size(); ++i)
                records.append(fromJson(array.at(i), idField, QStringLiteral("%1[%2]").arg(absolute).arg(i)));
            return records;
        }
        SourceRecord record = fromJson(document.object(), idField, absolute);
        if (!document.isObject())
            record.problem = QStringLiteral("a JSON input must be one object (a form or record) or an array of them");
        else if (idField.isEmpty() || !record.payload.contains(idField))
            record.sourceRef = QStringLiteral("file:%1#sha256:%2").arg(absolute, digestOf(bytes).left(16));
        records.append(record);
        return records;
    }

    if (suffix == QLatin1String("jsonl") || suffix == QLatin1String("ndjson")) {
        int lineNumber = 0;
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            ++lineNumber;
            if (line.isEmpty())
                continue;
            const QString origin = QStringLiteral("%1:%2").arg(absolute).arg(lineNumber);
            QJsonParseError error{};
            const QJsonDocument document = QJsonDocument::fromJson(line, &error);
            if (error.error != QJsonParseError::NoError) {
                records.append({{}, {}, origin,
                                QStringLiteral("not valid JSON (at byte %1: %2)").arg(error.offset).arg(error.errorString())});
                continue;
            }
            records.append(fromJson(document.isObject() ? QJsonValue(document.object()) : QJsonValue(), idField, origin));
        }
        return records;
    }

    if (suffix == QLatin1String("csv")) {
        const auto table = match::CsvTable::parse(file.readAll(), path);
        if (!table)
            return fail(table.error());
        for (qsizetype row = 0; row < table->rows.size(); ++row) {
            QJsonObject payload;
            for (qsizetype column = 0; column < table->header.size(); ++column)
                payload.insert(table->header.at(column).trimmed(), table->rows.at(row).value(column));
            records.append(fromJson(payload, idField, QStringLiteral("%1:%2").arg(absolute).arg(row + 2)));
        }
        return records;
    }

    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return fail(Error::unreadable(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString())));
    SourceRecord document;
    document.origin = absolute;
    document.sourceRef = QStringLiteral("file:%1#sha256:%2").arg(absolute, QString::fromLatin1(hash.result().toHex().left(16)));
    document.payload = {{QStringLiteral("file"), absolute},
                        {QStringLiteral("name"), info.fileName()},
                        {QStringLiteral("size"), info.size()}};
    records.append(document);
    return records;
}

Result<SourcePoll> pollSource(Engine &engine, const bot::BotDefinition &bot)
{
    if (!bot.source)
        return fail(Error::invalidArgument(QStringLiteral("bot %1 has no source").arg(bot.name)));
    const bot::SourceDefinition &source = *bot.source;
    const bot::ConnectorDefinition *definition = bot.connector(source.connector);
    if (!definition)
        return fail(Error::notFound(QStringLiteral("connector '%1' is not known").arg(source.connector)));
    auto connector = rest::sharedConnector(*definition);
    if (!connector)
        return fail(connector.error());
    for (const QString &operation : {source.operation, source.markOperation}) {
        if (!operation.isEmpty() && !(*connector)->hasOperation(operation))
            return fail(Error::invalidArgument(QStringLiteral("source: connector %1 has no operation '%2'")
                                                   .arg(source.connector, operation)));
    }

    const auto listed = (*connector)->call(source.operation, source.params);
    if (!listed)
        return fail(listed.error().error);
    SourcePoll poll;
    poll.truncated = listed->truncated;
    QList<QPair<QString, bot::Template>> markParams;
    for (auto it = source.markParams.begin(); it != source.markParams.end(); ++it) {
        auto parsed = bot::Template::parse(it.value().toString());
        if (!parsed)
            return fail(Error::invalidArgument(QStringLiteral("source.mark.params.%1: %2").arg(it.key(), parsed.error().message())));
        markParams.append({it.key(), *parsed});
    }

    for (const QJsonValue &value : listed->records) {
        ++poll.seen;
        const QJsonObject record = value.toObject();
        if (!bot.inputIdField.isEmpty() && record.value(bot.inputIdField).toVariant().toString().isEmpty()) {
            poll.problems.append(QStringLiteral("a record without its %1 was skipped").arg(bot.inputIdField));
            continue;
        }
        const QString sourceRef = recordSourceRef(record, bot.inputIdField);
        auto enqueued = engine.submit(bot, sourceRef, record);
        if (!enqueued)
            return fail(enqueued.error());  // the store failed: stop before marking anything else
        poll.created += enqueued->created ? 1 : 0;
        poll.items.append({SourceRecord{sourceRef, record, QStringLiteral("%1.%2").arg(source.connector, source.operation), {}},
                           *enqueued});
        if (source.markOperation.isEmpty())
            continue;
        const QJsonObject scope{{QStringLiteral("input"), record}};
        QJsonObject params;
        for (const auto &[name, markValue] : markParams)
            params.insert(name, markValue.renderValue(scope));
        const auto marked = (*connector)->call(source.markOperation, params,
                                               {QStringLiteral("clerk-take-%1-%2").arg(bot.name, sourceRef)});
        if (marked)
            ++poll.marked;
        else
            poll.problems.append(QStringLiteral("item %1 was stored but not marked as taken (%2); the next poll "
                                                "marks it")
                                     .arg(enqueued->id)
                                     .arg(marked.error().error.message()));
    }
    qCInfo(lcEngine, "bot %s: source %s.%s: %d records, %d new, %d marked", qUtf8Printable(bot.name),
           qUtf8Printable(source.connector), qUtf8Printable(source.operation), poll.seen, poll.created, poll.marked);
    return poll;
}

} // namespace clerk::engine
