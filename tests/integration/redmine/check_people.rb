#!/usr/bin/env ruby
# frozen_string_literal: true

# Checks that the integration suite's Redmine holds exactly the people of people.csv:
# one person case per ref, with the five fields and the team as in the file, and that
# loading again creates nothing. Exits 1 with the differences otherwise.
#
#   ruby check_people.rb [--csv people.csv] [--env FILE]

require 'csv'
require 'open3'
require 'optparse'
require_relative 'redmine_client'

options = { csv: File.join(__dir__, 'people.csv'), env: RedmineClient::DEFAULT_ENV }
OptionParser.new do |o|
  o.on('--csv FILE') { |v| options[:csv] = v }
  o.on('--env FILE') { |v| options[:env] = v }
end.parse!

config = RedmineClient.load_config(options[:env])
tracker_id = config.need('REDMINE_TRACKER_PERSON_CASE')
fields = %w[forename surname date_of_birth postcode nhs_number]
cases = Hash.new { |h, k| h[k] = [] }
RedmineClient.open(config, key: 'REDMINE_ADMIN_API_KEY') do |api|
  api.each_issue(project_id: 'social-care', tracker_id: tracker_id) do |issue|
    ref = issue['subject'][/\[(P\d+)\]\z/, 1]
    values = issue['custom_fields'].to_h { |f| [f['name'], f['value'].to_s] }
    cases[ref] << fields.to_h { |f| [f, values[f]] }.merge('team' => issue.dig('assigned_to', 'name').to_s)
  end
end

problems = []
people = CSV.read(options[:csv], headers: true)
people.each do |person|
  found = cases.delete(person['ref']) || []
  want = (fields + ['team']).to_h { |f| [f, person[f].to_s] }
  if found.size != 1
    problems << "#{person['ref']}: #{found.size} cases"
  elsif found.first != want
    problems << "#{person['ref']}: #{found.first} is not #{want}"
  end
end
cases.each { |ref, found| problems << "#{ref.inspect}: #{found.size} cases not in #{options[:csv]}" }

out, status = Open3.capture2e(RbConfig.ruby, File.join(__dir__, 'load_people.rb'), '--csv', options[:csv],
                              '--env', options[:env], '--out', File::NULL)
problems << "loading again: #{out.strip}" unless status.success? && out.include?(' 0 created ')

if problems.empty?
  puts "check_people.rb: #{people.size} people, each once with the right fields and team; a second load created none"
else
  warn problems.first(20)
  warn "check_people.rb: #{problems.size} problems"
  exit 1
end
