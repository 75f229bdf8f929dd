#!/usr/bin/env ruby
# frozen_string_literal: true

# Loads people from a CSV (make_people.rb's columns) into the local Redmine as person
# cases in project social-care, assigned to the team's group, through the REST API
# with one kept-alive connection. Safe to run again: people whose ref already appears
# in a case subject ("Forename Surname [P0001]") are not created twice.
#
#   ruby load_people.rb [--csv people.csv] [--out ids.csv] [--env redmine.env]
#
# Reads REDMINE_URL, REDMINE_API_KEY and the ids from the env file written by
# redmine.sh start (default $CLERK_REDMINE_STATE/redmine.env, else
# /tmp/clerk-redmine/redmine.env); variables already in the environment win.
# Writes "ref,issue_id" for every person to --out (default: the state folder's
# people-ids.csv) and prints how many were created and how long it took.

require 'csv'
require 'optparse'
require_relative 'redmine_client'

options = { csv: File.join(__dir__, 'people.csv'), env: RedmineClient::DEFAULT_ENV,
            out: File.join(ENV.fetch('CLERK_REDMINE_STATE', '/tmp/clerk-redmine'), 'people-ids.csv') }
OptionParser.new do |o|
  o.on('--csv FILE') { |v| options[:csv] = v }
  o.on('--env FILE') { |v| options[:env] = v }
  o.on('--out FILE') { |v| options[:out] = v }
end.parse!

config = RedmineClient.load_config(options[:env])
project_id = Integer(config.need('REDMINE_PROJECT_SOCIAL_CARE'))
tracker_id = Integer(config.need('REDMINE_TRACKER_PERSON_CASE'))
field_ids = %w[forename surname date_of_birth postcode nhs_number].to_h do |f|
  [f, Integer(config.need("REDMINE_CF_#{f.upcase}"))]
end
group_ids = {
  'adult-social-care' => Integer(config.need('REDMINE_GROUP_ADULT_SOCIAL_CARE')),
  'children' => Integer(config.need('REDMINE_GROUP_CHILDREN')),
}

started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
people = CSV.read(options[:csv], headers: true)
ids = {}
created = 0
RedmineClient.open(config) do |api|
  # What is there already.
  api.each_issue(project_id: project_id, tracker_id: tracker_id) do |issue|
    ids[Regexp.last_match(1)] = issue['id'] if issue['subject'] =~ /\[(P\d+)\]\z/
  end

  people.each do |person|
    next if ids.key?(person['ref'])

    issue = {
      project_id: project_id, tracker_id: tracker_id,
      subject: "#{person['forename']} #{person['surname']} [#{person['ref']}]",
      description: "Person case loaded for clerk's integration tests (made-up person #{person['ref']}).",
      assigned_to_id: group_ids.fetch(person['team']),
      custom_fields: field_ids.map { |name, id| { id: id, value: person[name].to_s } },
    }
    ids[person['ref']] = api.post('issues.json', issue: issue).dig('issue', 'id')
    created += 1
  end
end

File.write(options[:out], "ref,issue_id\n" + people.map { |p| "#{p['ref']},#{ids.fetch(p['ref'])}\n" }.join)
seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
puts format('load_people.rb: %<n>d people, %<c>d created in %<s>.1f s (%<r>.1f/s); ids in %<out>s',
            n: people.size, c: created, s: seconds, r: created / [seconds, 0.001].max, out: options[:out])
