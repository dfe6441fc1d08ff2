using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary><c>payloadFilter</c> through the management endpoints: saved, shown, changed and removed; refused with a 400 naming the spot; and only matching events reaching a real receiver.</summary>
[Collection(ApiCollection.Name)]
public sealed class PayloadFilterEndpointsTests(ApiFixture fixture)
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task Publish_SubscriptionsCreatedOverHttp_OnlyMatchingEventsArrive()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var owner = ApiFixture.NewOwner();
        using var client = _host.Client(owner);

        // Seed 000: "post a message when a high-priority item is created" and "kick off a build when an
        // item moves to a specific status"; plus the issue's order example, and one without a filter.
        await Create(client, "chat", receiver.Url("/chat"), ["item-add"], """{"data.priority": "high"}""");
        await Create(client, "ci", receiver.Url("/ci"), ["order.updated"], """{"data.status": {"$in": ["ready-to-build"]}, "data.previousStatus": {"$ne": "ready-to-build"}}""");
        await Create(client, "big", receiver.Url("/big"), ["order.*"], """{"data.total": {"$gte": 100}, "data.status": {"$in": ["shipped", "delivered"]}}""");
        await Create(client, "all", receiver.Url("/all"), ["order.*", "item-add"], null);

        var published = new List<int>();
        async Task Publish(string type, object data) =>
            published.Add((await _host.Publisher.PublishAsync(type, data, new WebhookPublishOptions { Owner = owner })).DeliveryCount);
        await Publish("item-add", new { id = "i1", priority = "high" });
        await Publish("item-add", new { id = "i2", priority = "low" });
        await Publish("order.updated", new { id = "o1", status = "ready-to-build", previousStatus = "review", total = 10 });
        await Publish("order.updated", new { id = "o2", status = "ready-to-build", previousStatus = "ready-to-build", total = 10 });
        await Publish("order.updated", new { id = "o3", status = "shipped", previousStatus = "ready-to-build", total = 150 });
        await Publish("order.created", new { id = "o4", status = "delivered", total = 99.5 });
        await Publish("order.created", new { id = "o5", status = "delivered", total = 100 });

        published.Should().Equal(2, 1, 2, 1, 2, 1, 2);
        var requests = await receiver.WaitForAsync(11);
        Ids(requests, "/chat").Should().Equal("i1");
        Ids(requests, "/ci").Should().Equal("o1");
        Ids(requests, "/big").Should().Equal("o3", "o5");
        Ids(requests, "/all").Should().Equal("i1", "i2", "o1", "o2", "o3", "o4", "o5");
    }

    [Fact]
    public async Task CreateGetPatch_FilterIsShownCompact_KeptWhenOmitted_RemovedByEmptyObject()
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var created = await Create(client, "orders", "https://example.com/h", ["order.*"], """
            { "data.total" : { "$gte" : 100 },
              "data.status": { "$in": ["shipped", "delivered"] } }
            """);
        const string Compact = """{"data.total":{"$gte":100},"data.status":{"$in":["shipped","delivered"]}}""";
        created["payloadFilter"]!.ToJsonString().Should().Be(Compact);
        var id = (string)created["id"]!;

        var read = await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
        read["payloadFilter"]!.ToJsonString().Should().Be(Compact);

        var renamed = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"name":"renamed","payloadFilter":null}""")).JsonAsync(HttpStatusCode.OK);
        renamed["payloadFilter"]!.ToJsonString().Should().Be(Compact, "an omitted or null payloadFilter leaves the filter as it is");

        var changed = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"payloadFilter":{"data.name":"Zoë ✓"}}""")).JsonAsync(HttpStatusCode.OK);
        changed["payloadFilter"]!["data.name"]!.GetValue<string>().Should().Be("Zoë ✓");

        var removed = await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"payloadFilter":{}}""");
        var removedJson = await removed.JsonAsync(HttpStatusCode.OK);
        removedJson.AsObject().ContainsKey("payloadFilter").Should().BeTrue();
        removedJson["payloadFilter"].Should().BeNull();

        var listed = await (await client.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
        listed["items"]![0]!["payloadFilter"].Should().BeNull();
    }

    // payloadFilter (raw JSON), the start of the message (the spot), what it says
    public static TheoryData<string, string, string> Invalid => new()
    {
        { """{"data.total":{"$gtee":100}}""", "At 'data.total.$gtee'", "'$gtee' is not an operator; use $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists or $not." },
        { """{"total":1}""", "At 'total'", "is not a path of the event: paths are 'type', 'data' or start with 'data.', such as data.status." },
        { """{"data..x":1}""", "At 'data..x'", "has an empty field name" },
        { """{"data.total":{"$gte":"a","$lt":[1]}}""", "At 'data.total.$lt'", "$lt compares with a number or a string, not an array." },
        { """{"data.status":{"$in":"shipped"}}""", "At 'data.status.$in'", "$in takes a non-empty array of values" },
        { """{"data.x":{"$exists":1}}""", "At 'data.x.$exists'", "$exists takes true or false, not a number." },
        { """{"$or":[{"$or":[{"$or":[{"$or":[{"data.a":1}]}]}]}]}""", "At '$or[0].$or[0].$or[0].$or[0]'", "the filter nests deeper than 8 levels of objects and arrays" },
        { "{\"data.code\":{\"$in\":[" + string.Join(",", Enumerable.Repeat("\"abcdefghij\"", 350)) + "]}}", "The filter is 4", "bytes in compact form; the limit is 4096." },
        { """["data.priority"]""", "The filter must be a JSON object", "not an array." },
        { "\"data.priority=high\"", "Send the filter as a JSON object", "not as a string." },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task Create_InvalidFilter_400NamingPayloadFilterAndTheSpot(string filter, string spot, string what)
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var body = """{"name":"n","url":"https://example.com/h","events":["order.created"],"payloadFilter":""" + filter + "}";

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", body)).ValidationErrorsAsync();

        errors.Keys.Should().Equal("payloadFilter");
        errors["payloadFilter"].Should().Contain(m => m.StartsWith(spot, StringComparison.Ordinal) && m.Contains(what, StringComparison.Ordinal), "the messages were: {0}", string.Join(" | ", errors["payloadFilter"]));
        var list = await (await client.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
        list["items"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task Update_InvalidFilter_400AndTheOldFilterStays()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await Create(client, "n", "https://example.com/h", ["order.created"], """{"data.a":1}"""))["id"]!;

        var errors = await (await client.SendJsonAsync(HttpMethod.Put, $"/webhooks/{id}", """{"payloadFilter":{"data.a":{"$regex":"x"}}}""")).ValidationErrorsAsync();

        errors["payloadFilter"].Should().ContainSingle().Which.Should().StartWith("At 'data.a.$regex': '$regex' is not an operator");
        (await (await client.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK))["payloadFilter"]!.ToJsonString().Should().Be("""{"data.a":1}""");
    }

    [Fact]
    public async Task OpenApi_DocumentsPayloadFilterOnRequestsAndResponse()
    {
        using var anonymous = _host.Client(null);
        var document = await (await anonymous.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);

        foreach (var schema in new[] { "WebhookSubscriptionCreateRequest", "WebhookSubscriptionUpdateRequest", "WebhookSubscriptionResponse" })
        {
            document["components"]!["schemas"]![schema]!["properties"]!.AsObject().Should().ContainKey("payloadFilter", schema);
        }
    }

    private static async Task<JsonNode> Create(HttpClient client, string name, string url, string[] events, string? payloadFilter)
    {
        var body = JsonSerializer.Serialize(new { name, url, events }, JsonSerializerOptions.Web);
        if (payloadFilter is not null)
        {
            body = body[..^1] + ",\"payloadFilter\":" + payloadFilter + "}";
        }

        return await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", body)).JsonAsync(HttpStatusCode.Created);
    }

    private static List<string> Ids(IEnumerable<ReceivedRequest> requests, string path) =>
        [.. requests.Where(r => r.Path == path)
            .Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("id").GetString()!)
            .Order(StringComparer.Ordinal)];
}
