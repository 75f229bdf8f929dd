# Turns a freshly migrated Redmine database into a small council case system for
# clerk's integration tests. Run inside Redmine with
#   bundle exec rails runner -e production setup.rb
# (redmine.sh does this once per state directory).
#
# What it makes, by name (each created only if missing, so running it twice is safe):
#   - REST API on; issues may be assigned to groups; no e-mail notifications.
#   - trackers "Person case" and "Incident report" (workflow copied from Bug).
#   - issue custom fields, created in this order so that on a fresh database their
#     ids are 1..5 and their positions (the order in an issue's custom_fields) 0..4:
#       forename, surname, date_of_birth (date), postcode, nhs_number
#     all filterable (cf_N=... on /issues.json) and searchable.
#   - projects social-care, highways, revenues (private, issue tracking only).
#   - groups adult-social-care and children (members of social-care), highways,
#     revenues (members of their projects), each with an assignable role.
#   - user "clerk" (not an administrator), a Manager in every project, with an API key.
#
# Prints "CLERK_ENV NAME=value" lines for redmine.sh to write into redmine.env.
# Exits 3 without changing anything when the database already holds projects or
# custom fields that this script did not make (a copied database that was not fresh).

PERSON_FIELDS = [
  { name: 'forename', format: 'string' },
  { name: 'surname', format: 'string' },
  { name: 'date_of_birth', format: 'date' },
  { name: 'postcode', format: 'string' },
  { name: 'nhs_number', format: 'string', regexp: '^[0-9]{10}$' },
].freeze

PROJECTS = [
  { identifier: 'social-care', name: 'Social care', groups: %w[adult-social-care children] },
  { identifier: 'highways', name: 'Highways', groups: %w[highways] },
  { identifier: 'revenues', name: 'Revenues and benefits', groups: %w[revenues] },
].freeze

def env_name(text)
  text.upcase.gsub(/[^A-Z0-9]+/, '_')
end

def emit(name, value)
  puts "CLERK_ENV #{name}=#{value}"
end

ours_fields = PERSON_FIELDS.map { |f| f[:name] }
ours_projects = PROJECTS.map { |p| p[:identifier] }
foreign = CustomField.where.not(name: ours_fields).count + Project.where.not(identifier: ours_projects).count
if foreign.positive?
  warn 'setup.rb: this database holds projects or custom fields setup.rb did not make'
  exit 3
end

ActiveRecord::Base.transaction do
  Setting.rest_api_enabled = '1'
  Setting.issue_group_assignment = '1'
  Setting.default_language = 'en'
  Setting.host_name = ENV.fetch('REDMINE_HOST_NAME', '127.0.0.1')
  # No e-mail: nothing would deliver it, and rendering it slows every change down.
  Setting.notified_events = []

  new_status = IssueStatus.find_by!(name: 'New')
  bug = Tracker.find_by!(name: 'Bug')
  trackers = ['Person case', 'Incident report'].map do |name|
    Tracker.find_by(name: name) || Tracker.create!(name: name, default_status: new_status).tap do |t|
      t.copy_workflow_rules(bug)
    end
  end

  fields = PERSON_FIELDS.map do |spec|
    IssueCustomField.find_by(name: spec[:name]) || IssueCustomField.create!(
      name: spec[:name], field_format: spec[:format], regexp: spec[:regexp].to_s,
      is_filter: true, searchable: true, visible: true, is_for_all: true, is_required: false,
      tracker_ids: trackers.map(&:id)
    )
  end

  manager = Role.find_by!(name: 'Manager')
  team_role = Role.find_by!(name: 'Developer')
  manager.update!(assignable: true)
  team_role.update!(assignable: true)

  clerk = User.find_by(login: 'clerk') || User.new.tap do |u|
    u.login = 'clerk'
    u.firstname = 'Clerk'
    u.lastname = 'Bot'
    u.mail = 'clerk@council.example'
    u.password = SecureRandom.hex(16)
    u.admin = false
    u.status = User::STATUS_ACTIVE
    u.mail_notification = 'none'
    u.save!
  end

  groups = {}
  projects = PROJECTS.map do |spec|
    project = Project.find_by(identifier: spec[:identifier]) || Project.create!(
      name: spec[:name], identifier: spec[:identifier], is_public: false,
      enabled_module_names: %w[issue_tracking], tracker_ids: Tracker.pluck(:id)
    )
    unless Member.exists?(project: project, user_id: clerk.id)
      Member.create!(project: project, principal: clerk, role_ids: [manager.id])
    end
    spec[:groups].each do |name|
      group = groups[name] ||= (Group.find_by(lastname: name) || Group.create!(lastname: name))
      unless Member.exists?(project: project, user_id: group.id)
        Member.create!(project: project, principal: group, role_ids: [team_role.id])
      end
    end
    project
  end

  admin = User.find_by!(login: 'admin')

  emit 'REDMINE_API_KEY', clerk.api_key
  emit 'REDMINE_ADMIN_API_KEY', admin.api_key
  emit 'REDMINE_CLERK_USER_ID', clerk.id
  trackers.each { |t| emit "REDMINE_TRACKER_#{env_name(t.name)}", t.id }
  fields.each { |f| emit "REDMINE_CF_#{env_name(f.name)}", f.id }
  projects.each { |p| emit "REDMINE_PROJECT_#{env_name(p.identifier)}", p.id }
  groups.each { |name, g| emit "REDMINE_GROUP_#{env_name(name)}", g.id }
  %w[New In\ Progress Resolved Closed].each do |name|
    status = IssueStatus.find_by(name: name)
    emit "REDMINE_STATUS_#{env_name(name)}", status.id if status
  end
end
