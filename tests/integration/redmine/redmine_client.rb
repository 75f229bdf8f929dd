# frozen_string_literal: true

# What the integration scripts share: the settings redmine.sh wrote, and JSON calls to
# Redmine's REST API over one kept-alive connection.
#
#   config = RedmineClient.load_config(env_file)   # the env file, then REDMINE_* variables
#   RedmineClient.open(config, key: 'REDMINE_API_KEY') do |api|
#     api.get('issues.json', status_id: '*')         # => parsed JSON; aborts on an HTTP error
#     api.post('issues.json', issue: {...})
#     api.each_issue(project_id: 'social-care') { |issue| ... }
#   end
require 'json'
require 'net/http'
require 'uri'

module RedmineClient
  DEFAULT_ENV = File.join(ENV.fetch('CLERK_REDMINE_STATE', '/tmp/clerk-redmine'), 'redmine.env')

  # The NAME=value lines of the env file, overridden by REDMINE_* in the environment.
  def self.load_config(env_file = DEFAULT_ENV)
    config = {}
    if File.exist?(env_file)
      File.foreach(env_file) do |line|
        config[Regexp.last_match(1)] = Regexp.last_match(2) if line.chomp =~ /\A([A-Z0-9_]+)=(.*)\z/
      end
    end
    config.merge!(ENV.to_h.select { |k, _| k.start_with?('REDMINE_') })
    config.define_singleton_method(:need) do |name|
      fetch(name) { abort "#{$PROGRAM_NAME}: #{name} is not set (run redmine.sh start)" }
    end
    config
  end

  def self.open(config, key: 'REDMINE_API_KEY')
    base = URI(config.need('REDMINE_URL'))
    Net::HTTP.start(base.host, base.port, read_timeout: 30) do |http|
      yield Api.new(http, base.path.chomp('/'), config.need(key))
    end
  end

  # JSON calls on one connection; any answer but 2xx aborts the script with its body.
  class Api
    def initialize(http, prefix, key)
      @http = http
      @prefix = prefix
      @headers = { 'X-Redmine-API-Key' => key, 'Content-Type' => 'application/json',
                   'Accept' => 'application/json' }
    end

    def get(path, query = {})
      target = "#{@prefix}/#{path}"
      target += "?#{URI.encode_www_form(query)}" unless query.empty?
      call(Net::HTTP::Get.new(target, @headers))
    end

    def post(path, body)
      send_json(Net::HTTP::Post, path, body)
    end

    def put(path, body)
      send_json(Net::HTTP::Put, path, body)
    end

    # Every issue the query finds (all statuses unless given), 100 a page.
    def each_issue(query = {})
      offset = 0
      loop do
        page = get('issues.json', { status_id: '*' }.merge(query).merge(limit: 100, offset: offset))
        page['issues'].each { |issue| yield issue }
        offset += page['issues'].size
        break if page['issues'].empty? || offset >= page['total_count']
      end
    end

    private

    def send_json(kind, path, body)
      request = kind.new("#{@prefix}/#{path}", @headers)
      request.body = JSON.generate(body)
      call(request)
    end

    def call(request)
      response = @http.request(request)
      unless response.is_a?(Net::HTTPSuccess)
        abort "#{$PROGRAM_NAME}: #{request.method} #{request.path} gave #{response.code}: " \
              "#{response.body.to_s[0, 300]}"
      end
      response.body.to_s.strip.empty? ? {} : JSON.parse(response.body)
    end
  end
end
