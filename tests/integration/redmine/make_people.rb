#!/usr/bin/env ruby
# frozen_string_literal: true

# Writes the made-up people that the integration tests load into Redmine as person
# cases: tests/integration/redmine/people.csv. Nobody in it is real: names are drawn at
# random from lists of common names, NHS numbers are in the 999 range that the NHS keeps
# for testing (with a correct check digit), postcodes have the right shape but are
# chosen at random. The same seed always gives the same file.
#
#   ruby make_people.rb [COUNT] > people.csv
#
# Columns: ref (P0001...), forename, surname, date_of_birth (YYYY-MM-DD), postcode,
# nhs_number (empty for about one in ten, as on many real records), team
# (children under 18 on 2026-01-01, else adult-social-care).
# Hard cases for record matching, kept on purpose: every 25th person has a twin (same
# surname, date of birth and postcode, another forename) and every 30th a namesake
# (same forename and surname, another date of birth and postcode).

require 'csv'
require 'date'

FORENAMES = %w[
  Oliver Amelia George Isla Harry Ava Noah Mia Jack Ivy Leo Lily Arthur Freya Muhammad
  Florence Oscar Grace Charlie Sophia Jacob Emily Thomas Ella Henry Evie Alfie Poppy
  William Rosie Joshua Evelyn James Harper Theo Sienna Archie Daisy Isaac Willow Edward
  Phoebe Samuel Ruby Joseph Alice Lucas Matilda Daniel Elsie Mohammed Jessica Ethan Millie
  Aisha Priya Olivia Zara Kai Niamh Rhys Siobhan Dylan Eilidh Callum Fatima Ibrahim Chloe
  Margaret Dorothy Kenneth Brian Patricia Barbara Raymond Sheila Derek Maureen
].freeze

SURNAMES = %w[
  Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans
  Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips
  Mason Mitchell Rose Davis Rodriguez Cox Alexander Morgan Moore Mills King Harrison
  Hughes Edwards Turner Baker Hill Cooper Ward Morris Scott Young Allen Begum Hussain
  Ahmed Ali Shah Singh Kaur Murphy O'Brien Kelly McDonald Campbell Stewart Reid MacLeod
  Nowak Kowalski Okafor Mensah Adeyemi Chen Wong Nguyen Fernandes Silva Costa
].freeze

# Outward codes of one made-up council area (real shape; the units are random).
DISTRICTS = %w[LS1 LS2 LS3 LS4 LS5 LS6 LS7 LS8 LS9 LS10 LS11 LS12 LS13 LS14 LS15 LS16 LS17].freeze
UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ'.chars.freeze
REFERENCE_DAY = Date.new(2026, 1, 1)

def nhs_number(rng)
  loop do
    digits = [9, 9, 9] + Array.new(6) { rng.rand(10) }
    remainder = digits.each_with_index.sum { |d, i| d * (10 - i) } % 11
    check = 11 - remainder
    check = 0 if check == 11
    next if check == 10 # not a valid number: draw again

    return (digits + [check]).join
  end
end

def postcode(rng)
  "#{DISTRICTS[rng.rand(DISTRICTS.size)]} #{rng.rand(1..9)}#{UNIT_LETTERS[rng.rand(UNIT_LETTERS.size)]}" \
    "#{UNIT_LETTERS[rng.rand(UNIT_LETTERS.size)]}"
end

def birth_date(rng)
  REFERENCE_DAY - rng.rand(365 * 1..365 * 95)
end

def team(dob)
  REFERENCE_DAY < dob.next_year(18) ? 'children' : 'adult-social-care'
end

count = Integer(ARGV.fetch(0, '300'))
rng = Random.new(20_261_123)
used_nhs = {}
people = []
while people.size < count
  n = people.size + 1
  base = people.last
  person =
    if base && (n % 25).zero?
      # a twin of the person before
      base.merge(forename: (FORENAMES - [base[:forename]])[rng.rand(FORENAMES.size - 1)])
    elsif base && (n % 30).zero?
      # a namesake of the person before
      base.merge(date_of_birth: birth_date(rng), postcode: postcode(rng))
    else
      { forename: FORENAMES[rng.rand(FORENAMES.size)], surname: SURNAMES[rng.rand(SURNAMES.size)],
        date_of_birth: birth_date(rng), postcode: postcode(rng) }
    end
  nhs = nil
  if rng.rand(10).positive?
    nhs = nhs_number(rng)
    nhs = nhs_number(rng) while used_nhs[nhs]
    used_nhs[nhs] = true
  end
  people << person.merge(ref: format('P%04d', n), nhs_number: nhs)
end

out = CSV.new($stdout)
out << %w[ref forename surname date_of_birth postcode nhs_number team]
people.each do |p|
  out << [p[:ref], p[:forename], p[:surname], p[:date_of_birth].iso8601, p[:postcode], p[:nhs_number],
          team(p[:date_of_birth])]
end
