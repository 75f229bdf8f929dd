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
require 'json'
require 'net/http'
require 'optparse'
require 'uri'

here = File.expand_path(__dir__)
state = ENV.fetch('CLERK_REDMINE_STATE', '/tmp/clerk-redmine')
options = { csv: File.join(here, 'people.csv'), env: File.join(state, 'redmine.env'),
            out: File.join(state, 'people-ids.csv') }
OptionParser.new do |o|
  o.on('--csv FILE') { |v| options[:csv] = v }
  o.on('--env FILE') { |v| options[:env] = v }
  o.on('--out FILE') { |v| options[:out] = v }
end.parse!

config = {}
File.foreach(options[:env]) do |line|
  config[Regexp.last_match(1)] = Regexp.last_match(2) if line.chomp =~ /\A([A-Z0-9_]+)=(.*)\z/
end
config.merge!(ENV.to_h.select { |k, _| k.start_with?('REDMINE_') })
need = lambda do |name|
  config.fetch(name) { abort "load_people.rb: #{name} is not set (run redmine.sh start)" }
end

base = URI(need.call('REDMINE_URL'))
headers = { 'X-Redmine-API-Key' => need.call('REDMINE_API_KEY'), 'Content-Type' => 'application/json',
            'Accept' => 'application/json' }
project_id = Integer(need.call('REDMINE_PROJECT_SOCIAL_CARE'))
tracker_id = Integer(need.call('REDMINE_TRACKER_PERSON_CASE'))
field_ids = %w[forename surname date_of_birth postcode nhs_number].to_h do |f|
  [f, Integer(need.call("REDMINE_CF_#{f.upcase}"))]
end
group_ids = {
  'adult-social-care' => Integer(need.call('REDMINE_GROUP_ADULT_SOCIAL_CARE')),
  'children' => Integer(need.call('REDMINE_GROUP_CHILDREN')),
}

def call(http, request)
  response = http.request(request)
  unless response.is_a?(Net::HTTPSuccess)
    abort "load_people.rb: #{request.method} #{request.path} gave #{response.code}: #{response.body.to_s[0, 300]}"
  end
  response.body.to_s.empty? ? {} : JSON.parse(response.body)
end

started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
people = CSV.read(options[:csv], headers: true)
ids = {}
created = 0
Net::HTTP.start(base.host, base.port, read_timeout: 30) do |http|
  # What is there already: every person case, 100 a page.
  offset = 0
  loop do
    query = URI.encode_www_form(project_id: project_id, tracker_id: tracker_id, status_id: '*',
                                limit: 100, offset: offset)
    page = call(http, Net::HTTP::Get.new("#{base.path.chomp('/')}/issues.json?#{query}", headers))
    page['issues'].each { |issue| ids[Regexp.last_match(1)] = issue['id'] if issue['subject'] =~ /\[(P\d+)\]\z/ }
    offset += page['issues'].size
    break if page['issues'].empty? || offset >= page['total_count']
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
    request = Net::HTTP::Post.new("#{base.path.chomp('/')}/issues.json", headers)
    request.body = JSON.generate(issue: issue)
    ids[person['ref']] = call(http, request).dig('issue', 'id')
    created += 1
  end
end

File.write(options[:out], "ref,issue_id\n" + people.map { |p| "#{p['ref']},#{ids.fetch(p['ref'])}\n" }.join)
seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
puts format('load_people.rb: %<n>d people, %<c>d created in %<s>.1f s (%<r>.1f/s); ids in %<out>s',
            n: people.size, c: created, s: seconds, r: created / [seconds, 0.001].max, out: options[:out])
