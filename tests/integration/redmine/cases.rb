#!/usr/bin/env ruby
# frozen_string_literal: true

# Prints what is in the local Redmine, for tests to check what a bot did and for a bulk
# export of the people: one line per issue, read with the administrator's key (so
# clerk's own permissions do not hide anything).
#
#   ruby cases.rb [--project social-care] [--format csv|jsonl] [--notes] [--env FILE]
#
# csv (default): id,ref,project,tracker,status,team,forename,surname,date_of_birth,
#   postcode,nhs_number  (ref is the [P0001] at the end of a loaded person's subject)
# jsonl: the same fields as a JSON object per line; with --notes also "notes", the
#   non-empty journal notes in order (one more call per issue).

require 'csv'
require 'json'
require 'optparse'
require_relative 'redmine_client'

FIELDS = %w[forename surname date_of_birth postcode nhs_number].freeze

options = { env: RedmineClient::DEFAULT_ENV, format: 'csv', project: nil, notes: false }
OptionParser.new do |o|
  o.on('--project ID') { |v| options[:project] = v }
  o.on('--format FORMAT', %w[csv jsonl]) { |v| options[:format] = v }
  o.on('--notes') { options[:notes] = true }
  o.on('--env FILE') { |v| options[:env] = v }
end.parse!

config = RedmineClient.load_config(options[:env])
key = config.key?('REDMINE_ADMIN_API_KEY') ? 'REDMINE_ADMIN_API_KEY' : 'REDMINE_API_KEY'
query = options[:project] ? { project_id: options[:project] } : {}
columns = %w[id ref project tracker status team] + FIELDS
csv = CSV.new($stdout) if options[:format] == 'csv'
csv << columns if csv

RedmineClient.open(config, key: key) do |api|
  rows = []
  api.each_issue(query.merge(sort: 'id')) do |issue|
    values = (issue['custom_fields'] || []).to_h { |f| [f['name'], f['value']] }
    row = {
      'id' => issue['id'], 'ref' => issue['subject'][/\[(P\d+)\]\z/, 1],
      'project' => issue.dig('project', 'name'), 'tracker' => issue.dig('tracker', 'name'),
      'status' => issue.dig('status', 'name'), 'team' => issue.dig('assigned_to', 'name')
    }
    FIELDS.each { |f| row[f] = values[f] }
    rows << row
  end
  rows.each do |row|
    if csv
      csv << columns.map { |c| row[c] }
    else
      if options[:notes]
        journals = api.get("issues/#{row['id']}.json", include: 'journals').dig('issue', 'journals') || []
        row['notes'] = journals.map { |j| j['notes'] }.reject { |n| n.nil? || n.empty? }
      end
      puts JSON.generate(row)
    end
  end
end
