using System.Net;
using System.Text;
using System.Text.Json;
using Webhooks.AspNetCore.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>Every validation rule over HTTP: the field it is reported under and the message that says what to fix.</summary>
[Collection(ApiCollection.Name)]
public sealed class ValidationTests(ApiFixture fixture)
{
    private const string Valid = """ "name":"n","url":"https://example.com/h","events":["order.created"] """;

    private readonly ApiHost _host = fixture.Host;

    private static string Body(string extra, bool withDefaults = true) => "{" + (withDefaults ? Valid : "") + (extra.Length > 0 && withDefaults ? "," : "") + extra + "}";

    private static string Many<T>(string prefix, int count, Func<int, T> value) =>
        string.Join(",", Enumerable.Range(0, count).Select(i => $"\"{prefix}{i}\":{JsonSerializer.Serialize(value(i))}"));

    public static TheoryData<string, string, string> CreateRules => new()
    {
        { "{}", "name", "A name is required." },
        { """{"name":"   ","url":"https://example.com/h","events":["order.created"]}""", "name", "A name is required." },
        { $$"""{"name":"{{new string('n', 201)}}","url":"https://example.com/h","events":["order.created"]}""", "name", "The name is 201 characters; the limit is 200." },
        { """{"name":"a\u0001b","url":"https://example.com/h","events":["order.created"]}""", "name", "The name must not contain control characters." },
        { """{"name":"n","events":["order.created"]}""", "url", "A URL is required." },
        { """{"name":"n","url":"not a url","events":["order.created"]}""", "url", "The URL must be absolute and start with https:// (or http:// where allowed)." },
        { """{"name":"n","url":"ftp://example.com/h","events":["order.created"]}""", "url", "The URL must be absolute and start with https:// (or http:// where allowed)." },
        { $$"""{"name":"n","url":"https://example.com/{{new string('p', 2030)}}","events":["order.created"]}""", "url", "The URL is 2050 characters; the limit is 2048." },
        { """{"name":"n","url":"https://user:pw@example.com/h","events":["order.created"]}""", "url", "The URL must not contain a user name or password; use the auth settings instead." },
        { """{"name":"n","url":"https://example.com/h#frag","events":["order.created"]}""", "url", "The URL must not contain a #fragment; receivers never see it." },
        { """{"name":"n","url":"https://10.1.2.3/h","events":["order.created"]}""", "url", "Webhooks cannot be sent to 10.1.2.3" },
        { """{"name":"n","url":"https://169.254.169.254/latest","events":["order.created"]}""", "url", "Webhooks cannot be sent to 169.254.169.254" },
        { """{"name":"n","url":"https://example.com/h"}""", "events", "List at least one event type." },
        { """{"name":"n","url":"https://example.com/h","events":[]}""", "events", "List at least one event type." },
        { """{"name":"n","url":"https://example.com/h","events":["order.created","order.created"]}""", "events", "'order.created' is listed more than once; list each event type once." },
        { """{"name":"n","url":"https://example.com/h","events":["nope"]}""", "events", "Unknown event type 'nope'. Known: order.created, order.updated, order.deleted, item-add, invoice.paid." },
        { """{"name":"n","url":"https://example.com/h","events":["nope.*"]}""", "events", "Unknown event type 'nope.*'." },
        { """{"name":"n","url":"https://example.com/h","events":[""]}""", "events", "Event type names must not be empty." },
        { "{" + Valid.Replace("\"events\":[\"order.created\"]", "\"events\":[" + string.Join(",", Enumerable.Range(0, 101).Select(i => "\"e" + i + "\"")) + "]", StringComparison.Ordinal) + "}", "events", "At most 100 event types per subscription; use a pattern such as 'order.*'." },
        { Body($$""" "description":"{{new string('d', 1025)}}" """), "description", "The description is 1025 characters; the limit is 1024." },
        { Body(""" "auth":{"type":"basic","password":"p"} """), "auth.username", "Basic auth needs a username." },
        { Body(""" "auth":{"type":"basic","username":"a:b","password":"p"} """), "auth.username", "A Basic auth username must not contain ':'." },
        { Body(""" "auth":{"type":"basic","username":"u"} """), "auth.password", "Basic auth needs a password." },
        { Body(""" "auth":{"type":"basic","username":"u","password":"pässword"} """), "auth.password", "Use printable ASCII characters only (no accents, emoji or control characters)." },
        { Body($$""" "auth":{"type":"basic","username":"u","password":"{{new string('p', 256)}}"} """), "auth.password", "The value is 256 bytes; the limit is 255." },
        { Body(""" "auth":{"type":"bearer"} """), "auth.token", "Bearer auth needs a token." },
        { Body(""" "auth":{"type":"bearer","token":"tok\u0007"} """), "auth.token", "Use printable ASCII characters only (no accents, emoji or control characters)." },
        { Body(""" "auth":{"type":"apiKey","key":"k"} """), "auth.headerName", "API key auth needs a header name, such as X-Api-Key." },
        { Body(""" "auth":{"type":"apiKey","headerName":"Bad Header","key":"k"} """), "auth.headerName", "The API key header name may hold only letters, digits and !#$%&'*+-.^_`|~." },
        { Body(""" "auth":{"type":"apiKey","headerName":"Authorization","key":"k"} """), "auth.headerName", "The API key cannot be sent in the 'Authorization' header; choose another, such as X-Api-Key." },
        { Body(""" "auth":{"type":"apiKey","headerName":"X-Api-Key"} """), "auth.key", "API key auth needs a key." },
        { Body(""" "auth":{"type":"oauth"} """), "auth.type", "Auth type must be none, basic, bearer or apiKey." },
        { Body(""" "auth":{"token":"t"} """), "auth.type", "Give the auth type: none, basic, bearer or apiKey." },
        { Body(""" "auth":{"type":"bearer","token":"t","password":"p"} """), "auth.password", "'password' is not used by bearer auth; remove it or change the type." },
        { Body(""" "auth":{"type":"none","key":"k"} """), "auth.key", "'key' is not used by none auth; remove it or change the type." },
        { Body(""" "headers":{"Content-Type":"text/plain"} """), "headers", "Header 'Content-Type' is set by the library (signature, auth or transport) and cannot be overridden." },
        { Body(""" "headers":{"webhook-signature":"x"} """), "headers", "Header 'webhook-signature' is set by the library (signature, auth or transport) and cannot be overridden." },
        { Body(""" "auth":{"type":"apiKey","headerName":"X-Key","key":"k"},"headers":{"X-Key":"other"} """), "headers", "Header 'X-Key' is set by the library (signature, auth or transport) and cannot be overridden." },
        { Body(""" "headers":{"Bad Name":"x"} """), "headers", "Header name 'Bad Name' may hold only letters, digits and !#$%&'*+-.^_`|~." },
        { Body(""" "headers":{"X-A":"line\r\nInjected: yes"} """), "headers", "The value of header 'X-A' must not contain line breaks or control characters." },
        { Body(""" "headers":{"X-A":"1","x-a":"2"} """), "headers", "Header 'x-a' is given more than once (names are case-insensitive)." },
        { Body($$""" "headers":{"X-A":"{{new string('v', 1025)}}"} """), "headers", "The value of header 'X-A' is 1025 characters; the limit is 1024." },
        { Body(""" "headers":{""" + Many("X-H", 21, _ => "v") + "}"), "headers", "At most 20 custom headers." },
        { Body(""" "metadata":{""" + Many("k", 51, _ => "v") + "}"), "metadata", "At most 50 metadata entries." },
        { Body($$""" "metadata":{"{{new string('k', 65)}}":"v"} """), "metadata", "Metadata keys must be 1 to 64 characters." },
        { Body($$""" "metadata":{"k":"{{new string('v', 1025)}}"} """), "metadata", "The metadata value of 'k' is over 1024 characters." },
        { Body(""" "headers":{"X-A":"café"} """), "headers", "The value of header 'X-A' must be printable ASCII (no accents, emoji or other non-ASCII characters)." },
        { Body(""" "filter":{""" + Many("k", 11, _ => new[] { "v" }) + "}"), "filter", "At most 10 filter keys." },
        { Body(""" "filter":{"severity":[]} """), "filter", "Filter 'severity' needs 1 to 50 allowed values." },
        { Body(""" "filter":{"severity":[""]} """), "filter", "Filter 'severity' values must be 1 to 256 characters." },
        { Body($$""" "filter":{"{{new string('k', 65)}}":["v"]} """), "filter", "Filter keys must be 1 to 64 characters." },
        { Body(""" "signatureScheme":"md5" """), "signatureScheme", "Unknown signature scheme 'md5'." },
        { Body(""" "secret":"abc" """), "secret", "A secret must start with 'whsec_' followed by base64 of 24 to 64 random bytes; omit it to have one generated." },
        { Body(""" "secret":"whsec_!!!!" """), "secret", "The part after 'whsec_' is not valid base64." },
        { Body(""" "secret":"whsec_AAAAAAAAAAA=" """), "secret", "The secret holds 8 bytes; use 24 to 64 random bytes." },
    };

    [Theory]
    [MemberData(nameof(CreateRules))]
    public async Task Create_InvalidField_Returns400WithFieldAndMessage(string body, string field, string message)
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", body)).ValidationErrorsAsync();

        errors.Should().ContainKey(field);
        errors[field].Should().Contain(m => m.StartsWith(message, StringComparison.Ordinal), "the messages were: {0}", string.Join(" | ", errors[field]));
        (await client.GetStringAsync("/webhooks")).Should().Contain("\"items\":[]", "nothing is created");
    }

    [Fact]
    public async Task Create_SeveralInvalidFields_ReportsEachUnderItsField()
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", """{"name":"","url":"ftp://x","events":["nope","nope"]}""")).ValidationErrorsAsync();

        errors.Keys.Should().BeEquivalentTo("name", "url", "events");
        errors["events"].Should().HaveCount(2);
    }

    [Fact]
    public async Task Create_DuplicateName_Returns409()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        await client.CreateSubscriptionAsync("orders", "https://example.com/a");

        var response = await client.PostJsonAsync("/webhooks", new { name = " orders ", url = "https://example.com/b", events = new[] { "order.*" } });

        var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
        problem["detail"]!.GetValue<string>().Should().Be("A subscription named 'orders' already exists for this owner; choose another name.");
    }

    [Fact]
    public async Task Create_HttpUrlWhereHttpIsNotAllowed_Returns400()
    {
        await using var strict = await ApiHost.StartAsync(o => o.AllowHttp = false);
        using var client = strict.Client("someone");

        var errors = await (await client.PostJsonAsync("/webhooks", new { name = "n", url = "http://example.com/h", events = new[] { "order.*" } })).ValidationErrorsAsync();

        errors["url"].Should().Equal("The URL must use https://; plain http is not allowed (WebhookOptions.AllowHttp).");
        var test = await (await client.PostJsonAsync("/webhooks/test", new { url = "http://example.com/h" })).ValidationErrorsAsync();
        test["url"].Should().Equal("The URL must use https://; plain http is not allowed (WebhookOptions.AllowHttp).");
    }

    public static TheoryData<string, string, string> UpdateRules => new()
    {
        { """{"name":""}""", "name", "A name is required." },
        { """{"url":"nope"}""", "url", "The URL must be absolute" },
        { """{"events":[]}""", "events", "List at least one event type." },
        { """{"events":["nope"]}""", "events", "Unknown event type 'nope'." },
        { """{"auth":{"type":"bearer"}}""", "auth.token", "Bearer auth needs a token." },
        { """{"headers":{"Host":"x"}}""", "headers", "Header 'Host' is set by the library" },
        { """{"signatureScheme":"nope"}""", "signatureScheme", "Unknown signature scheme 'nope'." },
    };

    [Theory]
    [MemberData(nameof(UpdateRules))]
    public async Task Update_InvalidField_Returns400AndChangesNothing(string body, string field, string message)
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("orders", "https://example.com/a"))["id"]!;

        var errors = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", body)).ValidationErrorsAsync();

        errors[field].Should().Contain(m => m.StartsWith(message, StringComparison.Ordinal));
        (await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK))["version"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public async Task Update_NameTakenByAnother_Returns409()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        await client.CreateSubscriptionAsync("first", "https://example.com/a");
        var id = (string)(await client.CreateSubscriptionAsync("second", "https://example.com/b"))["id"]!;

        await (await client.SendJsonAsync(HttpMethod.Put, $"/webhooks/{id}", """{"name":"first"}""")).ProblemAsync(HttpStatusCode.Conflict);
    }

    [Theory]
    [InlineData("{}", "url", "A URL is required.")]
    [InlineData("""{"url":"https://example.com/x","auth":{"type":"apiKey","key":"k"}}""", "auth.headerName", "API key auth needs a header name")]
    [InlineData("""{"url":"https://example.com/x","secret":"nope"}""", "secret", "A secret must start with 'whsec_'")]
    [InlineData("""{"url":"https://example.com/x","headers":{"Cookie":"a=b"}}""", "headers", "Header 'Cookie' is set by the library")]
    public async Task TestUnsaved_InvalidTarget_Returns400(string body, string field, string message)
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks/test", body)).ValidationErrorsAsync();

        errors[field].Should().Contain(m => m.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RotateSecret_InvalidGivenSecret_Returns400AndKeepsSecret()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var created = await client.CreateSubscriptionAsync("orders", "https://example.com/a");

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, $"/webhooks/{created["id"]}/rotate-secret", """{"secret":"whsec_AAAAAAAAAAA="}""")).ValidationErrorsAsync();

        errors["secret"].Should().ContainSingle().Which.Should().StartWith("The secret holds");
        (await (await client.GetAsync($"/webhooks/{created["id"]}")).JsonAsync(HttpStatusCode.OK))["version"]!.GetValue<long>().Should().Be(1);
    }

    public static TheoryData<string, string, string> WrongTypes => new()
    {
        { """{"name":5,"url":"https://example.com/h","events":["order.created"]}""", "name", "Expected a string, not a number." },
        { """{"name":"n","url":true,"events":["order.created"]}""", "url", "Expected a string, not a boolean." },
        { """{"name":"n","url":"https://example.com/h","events":"order.created"}""", "events", "Expected an array of strings, not a string." },
        { """{"name":"n","url":"https://example.com/h","events":[1]}""", "events", "Item 0 is a number; expected a string." },
        { """{"name":"n","url":"https://example.com/h","events":[null]}""", "events", "Item 0 is null; expected a string." },
        { Body(""" "active":"yes" """), "active", "Expected true or false, not a string." },
        { Body(""" "active":"true" """), "active", "Expected true or false, not a string." },
        { Body(""" "headers":{"X-A":1} """), "headers", "The value of 'X-A' is a number; expected a string." },
        { Body(""" "headers":["X-A"] """), "headers", "Expected an object whose values are strings, not an array." },
        { Body(""" "metadata":"x" """), "metadata", "Expected an object whose values are strings, not a string." },
        { Body(""" "auth":"basic" """), "auth", "Expected a JSON object, not a string." },
        { Body(""" "auth":{"type":1} """), "auth.type", "Expected a string, not a number." },
        { Body(""" "description":{} """), "description", "Expected a string, not an object." },
        { Body(""" "filter":{"severity":"error"} """), "filter.severity", "Expected an array of strings, not a string." },
        { Body(""" "filter":{"severity":[1]} """), "filter.severity", "Item 0 is a number; expected a string." },
        { Body(""" "filter":["severity"] """), "filter", "Expected an object whose values are arrays of strings, not an array." },
        { Body(""" "filter":{"severity":null} """), "filter", "The value of 'severity' is null; expected an array of strings." },
        { Body(""" "foo":1 """), "foo", "Unknown property 'foo'; remove it. Allowed here: name, url, events, description, auth, headers, metadata, filter, payloadFilter, rateLimit, ordered, active, secret, signatureScheme." },
        { Body(""" "auth":{"type":"bearer","token":"t","tokn":"x"} """), "auth.tokn", "Unknown property 'tokn'; remove it. Allowed here: type, username, password, token, headerName, key." },
        { """{"name":"a","NAME":"b","url":"https://example.com/h","events":["order.created"]}""", "NAME", "The property is given more than once; give it once." },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public async Task Create_WrongJsonTypeOrUnknownProperty_Returns400NamingTheField(string body, string field, string message)
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", body)).ValidationErrorsAsync();

        errors.Should().ContainKey(field).WhoseValue.Should().Contain(message);
    }

    [Fact]
    public async Task Recover_SinceNotADate_Returns400()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("r", "https://example.com/r"))["id"]!;

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, $"/webhooks/{id}/recover", """{"since":"yesterday"}""")).ValidationErrorsAsync();

        errors["since"].Should().ContainSingle().Which.Should().StartWith("Expected an ISO 8601 date and time string");
    }

    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        { """{"name":""", "The request body is not valid JSON.", "line 1" },
        { """{"name":"n",}""", "The request body is not valid JSON.", "Send one JSON object." },
        { """{"name":"n"} {"name":"m"}""", "The request body is not valid JSON.", "Send one JSON object." },
        { """{"name":"n" /* note */}""", "The request body is not valid JSON.", "Send one JSON object." },
        { "{\"name\":\"\u00ff", "The request body is not valid JSON.", "line 1" },
        { "[1,2]", "The request body must be a JSON object.", "The body is an array" },
        { "null", "The request body must be a JSON object.", "The body is null" },
        { "\"text\"", "The request body must be a JSON object.", "The body is a string" },
        { """{"name":""" + new string('[', 40) + new string(']', 40) + "}", "The request body is not valid JSON.", "depth" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Create_MalformedJson_Returns400Problem(string body, string title, string detail)
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var problem = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", body)).ProblemAsync(HttpStatusCode.BadRequest);

        problem["title"]!.GetValue<string>().Should().Be(title);
        problem["detail"]!.GetValue<string>().Should().Contain(detail);
    }

    [Fact]
    public async Task Create_EmptyBody_Returns400Problem()
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var problem = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", "")).ProblemAsync(HttpStatusCode.BadRequest);

        problem["title"]!.GetValue<string>().Should().Be("A request body is required.");
    }

    [Fact]
    public async Task Create_NotJsonContentType_Returns415()
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var response = await client.PostAsync("/webhooks", new StringContent(Body(""), Encoding.UTF8, "text/plain"));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task RotateSecret_BodyWithoutContentType_Returns415Problem()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("r", "https://example.com/r"))["id"]!;
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"secret":null}"""));

        var problem = await (await client.PostAsync($"/webhooks/{id}/rotate-secret", content)).ProblemAsync(HttpStatusCode.UnsupportedMediaType);

        problem["detail"]!.GetValue<string>().Should().Contain("Content-Type: application/json");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Create_OversizeBody_Returns413Problem(bool withContentLength)
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var json = Body($$""" "description":"{{new string('d', 70_000)}}" """);
        HttpContent content = withContentLength
            ? new StringContent(json, Encoding.UTF8, "application/json")
            : new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(json)));
        if (!withContentLength)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        var response = await client.PostAsync("/webhooks", content);

        if (!withContentLength)
        {
            response.RequestMessage!.Content!.Headers.ContentLength.Should().BeNull("the body was sent chunked");
        }

        var problem = await response.ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        problem["detail"]!.GetValue<string>().Should().Contain("65536 bytes");
    }

    public static TheoryData<string, string, string> BadQueries => new()
    {
        { "/webhooks?limit=0", "limit", "limit must be a whole number between 1 and 500." },
        { "/webhooks?limit=501", "limit", "limit must be a whole number between 1 and 500." },
        { "/webhooks?limit=ten", "limit", "limit must be a whole number between 1 and 500." },
        { "/webhooks?limit=-1", "limit", "limit must be a whole number between 1 and 500." },
        { "/webhooks?active=maybe", "active", "active must be true or false." },
        { "/webhooks?cursor=not-a-cursor!", "cursor", "The cursor is not valid here" },
        { "/webhooks?cursor=" + "c3ViXzAx", "cursor", "The cursor is not valid here" },
        { "/webhooks/abc", "id", "'abc' is not a valid id; ids look like 'sub_' followed by letters, digits, '_' or '-' (at most 64 characters in all)." },
        { "/webhooks/sub_01M890Z336Q15K300VKFWQQ6X!", "id", "is not a valid id" },
        { "/webhooks/sub_" + new string('A', 61), "id", "is not a valid id" },
        { "/webhooks/dlv_01M890Z336Q15K300VKFWQQ6XE", "id", "is not a valid id" },
        { "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/deliveries/nope", "deliveryId", "'nope' is not a valid id; ids look like 'dlv_'" },
        { "/webhooks/sub_01M890Z336Q15K300VKFWQQ6XE/deliveries/sub_01M890Z336Q15K300VKFWQQ6XE", "deliveryId", "is not a valid id" },
        { "/webhooks/deliveries/nope", "deliveryId", "'nope' is not a valid id; ids look like 'dlv_'" },
        { "/webhooks/deliveries?subscription=dlv_01M890Z336Q15K300VKFWQQ6XE", "subscription", "is not a valid id; ids look like 'sub_'" },
        { "/webhooks/deliveries?status=done", "status", "status must be pending, succeeded or failed." },
        { "/webhooks/deliveries?eventType=", "eventType", "eventType must be an event type name" },
        { "/webhooks/deliveries?limit=0", "limit", "limit must be a whole number between 1 and 500." },
        { "/webhooks/deliveries?cursor=c3ViXzAx", "cursor", "The cursor is not valid here" },
        { "/webhooks/stats?subscription=x", "subscription", "is not a valid id" },
        { "/webhooks/stats?window=soon", "window", "window must be a duration such as 15m, 24h or 7d (or hh:mm:ss)." },
        { "/webhooks/stats?window=1h&bucket=2h", "bucket", "The bucket must be a whole number of minutes, at least 1 minute, at most the window" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task Get_BadQueryOrId_Returns400NamingTheParameter(string url, string field, string message)
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var errors = await (await client.GetAsync(url)).ValidationErrorsAsync();

        errors[field].Should().ContainSingle().Which.Should().Contain(message);
    }

    [Theory]
    [InlineData("deliveries?status=done", "status", "status must be pending, succeeded or failed.")]
    [InlineData("deliveries?limit=1000", "limit", "limit must be a whole number between 1 and 500.")]
    [InlineData("stats?window=soon", "window", "window must be a duration such as 15m, 24h or 7d (or hh:mm:ss).")]
    [InlineData("stats?window=40d", "window", "The window must be between 1 minute and 31 days.")]
    [InlineData("stats?bucket=30s", "bucket", "bucket must be a duration such as 15m, 24h or 7d (or hh:mm:ss).")]
    [InlineData("stats?window=31d&bucket=1m", "bucket", "The bucket must be a whole number of minutes, at least 1 minute, at most the window, and give at most 1000 buckets.")]
    [InlineData("stats?window=1h&bucket=2h", "bucket", "The bucket must be a whole number of minutes, at least 1 minute, at most the window")]
    [InlineData("stats?window=2h&bucket=00:01:30", "bucket", "The bucket must be a whole number of minutes")]
    public async Task SubscriptionQueries_Bad_Returns400NamingTheParameter(string path, string field, string message)
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("q", "https://example.com/q"))["id"]!;

        var errors = await (await client.GetAsync($"/webhooks/{id}/{path}")).ValidationErrorsAsync();

        errors[field].Should().ContainSingle().Which.Should().StartWith(message);
    }

    [Fact]
    public async Task Deliveries_CursorOfSubscriptionList_Returns400()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        await client.CreateSubscriptionAsync("a", "https://example.com/a");
        var id = (string)(await client.CreateSubscriptionAsync("b", "https://example.com/b"))["id"]!;
        var cursor = (string)(await (await client.GetAsync("/webhooks?limit=1")).JsonAsync(HttpStatusCode.OK))["nextCursor"]!;

        var errors = await (await client.GetAsync($"/webhooks/{id}/deliveries?cursor={Uri.EscapeDataString(cursor)}")).ValidationErrorsAsync();

        errors.Should().ContainKey("cursor");
    }

    /// <summary>A stream without a length, so HttpClient sends the body chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
