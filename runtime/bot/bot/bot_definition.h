// BotDefinition: a validated bot file, ready for the engine.
//
// Produced only by the loader (bot_loader.h) after every check passed, so the engine
// may trust it: step types exist, params have their declared types and defaults are
// applied, templates refer only to fields that exist.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <chrono>
#include <optional>

namespace clerk::bot {

struct SourcePosition {
    int line = 0;    // 1-based
    int column = 0;  // 1-based
};

// How to reach one outside system (a case system, a mailbox).
//
// Connector files live apart from bots so endpoints and secrets sit in one place.
// Secrets are references ("${env:NAME}", "${file:/path}"), resolved only when a
// connector is used (secret_ref.h); a literal secret in a file is a validation error.
struct ConnectorDefinition {
    QString name;
    QString kind;          // a ConnectorKindSchema name, e.g. "rest"
    QString description;
    QJsonObject settings;  // every other key, validated, defaults applied
    QString sourcePath;
    SourcePosition position;
};

struct StepDefinition {
    QString id;           // unique within the bot; defaults to the type name
    QString type;         // a StepTypeSchema name
    QJsonObject params;   // validated, with defaults applied
    QString team;         // who answers this step's questions; empty: the bot's exception team
    QString when;         // the step runs only when this condition holds; empty: always
    std::chrono::milliseconds timeLimit{0};  // time_limit; 0: the bot's stepTimeLimit
    SourcePosition position;
};

struct TriggerDefinition {
    // Cron and Interval fire a time slot; for a bot with a `source`, each slot reads the
    // source's new work instead of enqueueing one item. Mailbox reads an IMAP folder every
    // `every` (options: the mailbox block, defaults applied).
    enum class Kind { Manual, Cron, Interval, Watch, Webhook, Mailbox };
    Kind kind = Kind::Manual;
    QString cron;                         // Kind::Cron
    std::chrono::milliseconds every{0};   // Kind::Interval and Kind::Mailbox
    std::chrono::milliseconds jitter{0};  // Kind::Interval
    QString timeZone = QStringLiteral("Europe/London");
    QString misfire = QStringLiteral("skip");  // "skip" or "run_once"
    QJsonObject options;                  // kind-specific settings (watch folder, webhook token ref, mailbox, ...)
    SourcePosition position;
};

struct RetryPolicy {
    int maxAttempts = 5;                                 // retries before the item fails
    std::chrono::milliseconds initialDelay{2000};
    std::chrono::milliseconds maxDelay{10 * 60 * 1000};
};

// A connector operation that lists new work (bot key `source`).
struct SourceDefinition {
    QString connector;
    QString operation;
    QJsonObject params;
    QString markOperation;   // empty: records are not marked
    QJsonObject markParams;  // name -> template text over {{ input.* }}
};

// One alert rule (bot key alerts.rules). `kind` is the rule's YAML key and the name the
// alert is sent and recorded under.
struct AlertRule {
    enum class Kind { StraightThroughBelow, OldestExceptionOverSla, FailuresAbove };
    Kind kind = Kind::StraightThroughBelow;
    QString name;                 // "straight_through_below", "oldest_exception_over_sla", "failures_above"
    double threshold = 0;         // the rate (0..1) or the most failures allowed; 0 for the SLA rule
    std::chrono::milliseconds window{24 * 3600 * 1000};  // the rate and failure rules look this far back
    int minItems = 20;            // straight_through_below: not judged on fewer done items
    SourcePosition position;
};

// Where a bot's alerts go and when they fire (bot key `alerts`).
struct AlertDefinition {
    QString connector;            // a rest connector
    QString operation;            // its operation; templates see params.bot/rule/value/threshold/message
    std::chrono::milliseconds repeatAfter{4 * 3600 * 1000};  // a rule still failing fires again after this
    QList<AlertRule> rules;
};

// One rule of the bot's `escalate` list. When an item goes to a person, the first rule
// that holds picks the exception's team, SLA and priority: urgent work is seen first.
struct EscalationRule {
    QString label;                          // shown to people, e.g. "Safeguarding"
    QString when;                           // a condition, as a step's when; empty: holds
    QString text;                           // a template the keywords are looked for in
    QStringList keywords;                   // any of them, as whole words, ignoring case; empty: no test
    QString team;                           // empty: the team the step or bot names
    std::chrono::milliseconds sla{0};       // 0: the bot's exceptions.sla
    int priority = 100;                     // higher is seen first; 0 is ordinary work
    QString businessHours;                  // with outOfHoursTeam: the day team's hours
    QString outOfHoursTeam;                 // outside businessHours the item goes here
    SourcePosition position;
};

// How long a bot's finished items keep what they hold about people (bot key `retention`).
struct RetentionPolicy {
    std::chrono::milliseconds after{0};  // after an item finishes done or cancelled
    bool documents = true;               // also delete the documents it came with
};

struct BotDefinition {
    QString name;
    QString description;
    QString version;
    QString ownerTeam;
    double manualMinutes = 0;                 // a person's minutes per item, for hours saved
    bool shadow = false;                      // mode: shadow: decide, do not act; a person answers every item
    bool shadowShowsSuggestion = true;        // false: a blind trial
    int concurrency = 0;                      // at most this many items running at once per process; 0: no limit
    int priority = 0;                         // items of higher-priority bots are leased first
    std::chrono::milliseconds stepTimeLimit{0};  // time_limit: each step's default limit; 0: none
    std::optional<TriggerDefinition> trigger;
    QMap<QString, double> thresholds;         // name -> 0..1
    QString exceptionTeam;                    // defaults to ownerTeam
    std::chrono::milliseconds exceptionSla{8 * 3600 * 1000};
    QList<EscalationRule> escalate;           // in order; the first that holds applies
    std::optional<RetentionPolicy> retention; // none: items are kept until erased by hand
    RetryPolicy retry;
    QString inputIdField;                     // input.id: the field identifying a record at its source
    std::optional<QStringList> inputFields;   // input.fields; nullopt: any fields
    QStringList inputFiles;                   // input.files: wildcards for the files a folder given
                                              // to `clerk run --input` contributes; empty: see inputFilePatterns()
    std::optional<SourceDefinition> source;   // where new work is read from, if anywhere
    std::optional<AlertDefinition> alerts;    // alerts about the bot's figures, if any
    QStringList connectors;                   // names of connectors the bot uses
    QList<ConnectorDefinition> connectorDefinitions;  // the connectors known when it was loaded
    QList<StepDefinition> steps;
    QStringList allowedPaths;                 // allowed_paths, as written: relative ones start at baseDir

    QString sourcePath;                       // the file it was loaded from
    QByteArray sourceText;                    // the file's bytes, stored with each item's run
    QString baseDir;                          // absolute folder of the file: relative paths in steps start here
    QString digest;                           // hex SHA-256 of baseDir and sourceText

    const StepDefinition *step(const QString &id) const;
    // The places documents named by items may lie in (the bot's intake roots): the watched
    // folder (trigger watch), the mailbox's attachment folder (trigger mailbox) and each of
    // allowed_paths. Absolute and cleaned of `.` and `..`, but symbolic links are not
    // resolved (the folders may not exist yet): callers canonicalise before comparing.
    // Empty when the bot names none; `clerk run` adds its --input paths (engine options).
    QStringList intakeRoots() const;
    // The file names (wildcards, matched ignoring case) a folder of inputs contributes:
    // input.files when given; else the watch trigger's pattern; else, for a bot that reads
    // records (input.id or input.fields given), record files (*.csv, *.json, *.jsonl,
    // *.ndjson); else those and scans (*.pdf, *.tif, *.tiff, *.png, *.jpg, *.jpeg). Never
    // the bot's YAML or a database beside it. A file named on its own is always taken.
    QStringList inputFilePatterns() const;
    // The definition of a known connector; nullptr when there is none by that name.
    const ConnectorDefinition *connector(const QString &connectorName) const;
};

} // namespace clerk::bot
