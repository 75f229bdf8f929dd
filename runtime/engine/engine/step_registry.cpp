#include "engine/step_registry.h"

#include "engine/builtin_steps_p.h"
#include "rest/connector_kind.h"

namespace clerk::engine {

StepRegistry StepRegistry::builtIn()
{
    StepRegistry registry;
    // engine/step_types.def gives the order of the docs and of `clerk steps`.
    StepType types[] = {
#define CLERK_STEP_TYPE(name) name##StepType(),
#include "engine/step_types.def"
#undef CLERK_STEP_TYPE
    };
    for (StepType &type : types) {
        const Status added = registry.add(std::move(type));
        Q_ASSERT_X(added.has_value(), "StepRegistry::builtIn", "duplicate built-in step type");
    }
    return registry;
}

Status StepRegistry::add(StepType type)
{
    if (find(type.schema.name))
        return fail(Error::alreadyExists(QStringLiteral("step type '%1' is registered twice").arg(type.schema.name)));
    m_types.append(std::move(type));
    return {};
}

const StepType *StepRegistry::find(const QString &name) const
{
    for (const StepType &type : m_types) {
        if (type.schema.name == name)
            return &type;
    }
    return nullptr;
}

bot::ConnectorCatalog connectorKinds()
{
    return bot::ConnectorCatalog({rest::restConnectorKind()});
}

bot::StepCatalog StepRegistry::catalog() const
{
    QList<bot::StepTypeSchema> schemas;
    for (const StepType &type : m_types)
        schemas.append(type.schema);
    return bot::StepCatalog(schemas);
}

} // namespace clerk::engine
