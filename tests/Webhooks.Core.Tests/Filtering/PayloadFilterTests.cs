using System.Text.Json;
using Webhooks.Core.Filtering;

namespace Webhooks.Core.Tests.Filtering;

/// <summary>The payload filter language: what matches, what is refused (and the message naming the spot), the stored form, and evaluation cost.</summary>
public sealed class PayloadFilterTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    // filter, event type, data, whether the event passes
    public static TheoryData<string, string, string, bool> Matching => new()
    {
        // equality
        { """{"data.priority":"high"}""", "item.created", """{"priority":"high"}""", true },
        { """{"data.priority":"high"}""", "item.created", """{"priority":"low"}""", false },
        { """{"data.priority":"high"}""", "item.created", """{"priority":"HIGH"}""", false },
        { """{"data.priority":"high"}""", "item.created", """{}""", false },
        { """{"data.priority":"high"}""", "item.created", """{"priority":["low","high"]}""", true },
        { """{"data.priority":"high"}""", "item.created", "null", false },
        { """{"data.total":100}""", "order.paid", """{"total":100.0}""", true },
        { """{"data.total":100}""", "order.paid", """{"total":"100"}""", false },
        { """{"data.urgent":true}""", "item.created", """{"urgent":true}""", true },
        { """{"data.urgent":true}""", "item.created", """{"urgent":"true"}""", false },
        { """{"data.note":null}""", "item.created", """{"note":null}""", true },
        { """{"data.note":null}""", "item.created", """{}""", false },
        { """{"data.name":"Zoë ✓"}""", "item.created", """{"name":"Zo\u00eb \u2713"}""", true },
        { """{"data.priority":{"$eq":"high"}}""", "item.created", """{"priority":"high"}""", true },
        { """{"data.status":{"$ne":"cancelled"}}""", "order.updated", """{"status":"shipped"}""", true },
        { """{"data.status":{"$ne":"cancelled"}}""", "order.updated", """{"status":"cancelled"}""", false },
        { """{"data.status":{"$ne":"cancelled"}}""", "order.updated", """{}""", true },

        // type
        { """{"type":"order.updated"}""", "order.updated", """{}""", true },
        { """{"type":{"$in":["order.created","order.deleted"]}}""", "order.updated", """{}""", false },

        // paths
        { """{"data.customer.tier":"gold"}""", "order.created", """{"customer":{"tier":"gold"}}""", true },
        { """{"data.customer.tier":"gold"}""", "order.created", """{"customer":"gold"}""", false },
        { """{"data.items.0.sku":"A-1"}""", "order.created", """{"items":[{"sku":"A-1"},{"sku":"B-2"}]}""", true },
        { """{"data.items.1.sku":"A-1"}""", "order.created", """{"items":[{"sku":"A-1"},{"sku":"B-2"}]}""", false },
        { """{"data.items.2.sku":"A-1"}""", "order.created", """{"items":[{"sku":"A-1"}]}""", false },
        { """{"data.0":"x"}""", "item.created", """{"0":"x"}""", true },
        { """{"data":{"$exists":true}}""", "item.created", """{}""", true },

        // $in, $nin
        { """{"data.status":{"$in":["shipped","delivered"]}}""", "order.updated", """{"status":"delivered"}""", true },
        { """{"data.status":{"$in":["shipped","delivered"]}}""", "order.updated", """{"status":"pending"}""", false },
        { """{"data.status":{"$in":["shipped","delivered"]}}""", "order.updated", """{}""", false },
        { """{"data.tags":{"$in":["vip","beta"]}}""", "order.updated", """{"tags":["new","beta"]}""", true },
        { """{"data.code":{"$in":[1,2,3]}}""", "order.updated", """{"code":2.0}""", true },
        { """{"data.status":{"$nin":["cancelled","draft"]}}""", "order.updated", """{"status":"shipped"}""", true },
        { """{"data.status":{"$nin":["cancelled","draft"]}}""", "order.updated", """{"status":"draft"}""", false },
        { """{"data.status":{"$nin":["cancelled","draft"]}}""", "order.updated", """{}""", true },
        { """{"data.tags":{"$nin":["spam"]}}""", "order.updated", """{"tags":["ok","spam"]}""", false },

        // order
        { """{"data.total":{"$gte":100}}""", "order.paid", """{"total":100}""", true },
        { """{"data.total":{"$gte":100}}""", "order.paid", """{"total":99.99}""", false },
        { """{"data.total":{"$gte":100}}""", "order.paid", """{"total":"150"}""", false },
        { """{"data.total":{"$gt":100}}""", "order.paid", """{"total":100}""", false },
        { """{"data.total":{"$gt":1e2}}""", "order.paid", """{"total":100.5}""", true },
        { """{"data.total":{"$lt":0}}""", "order.paid", """{"total":-0.01}""", true },
        { """{"data.total":{"$lte":10}}""", "order.paid", """{"total":10}""", true },
        { """{"data.total":{"$gte":10,"$lt":20}}""", "order.paid", """{"total":15}""", true },
        { """{"data.total":{"$gte":10,"$lt":20}}""", "order.paid", """{"total":20}""", false },
        { """{"data.total":{"$gt":1}}""", "order.paid", """{"total":1e400}""", true },
        { """{"data.big":{"$gt":79228162514264337593543950335}}""", "order.paid", """{"big":1e30}""", true },
        { """{"data.due":{"$lt":"2026-01-01"}}""", "task.updated", """{"due":"2025-12-31T10:00:00Z"}""", true },
        { """{"data.due":{"$lt":"2026-01-01"}}""", "task.updated", """{"due":"2026-01-02T00:00:00Z"}""", false },
        { """{"data.scores":{"$gt":90}}""", "task.updated", """{"scores":[50,95]}""", true },

        // $exists
        { """{"data.assignee":{"$exists":true}}""", "task.updated", """{"assignee":null}""", true },
        { """{"data.assignee":{"$exists":true}}""", "task.updated", """{}""", false },
        { """{"data.assignee":{"$exists":false}}""", "task.updated", """{}""", true },

        // $and, $or, $not
        { """{"$or":[{"data.priority":"high"},{"data.total":{"$gt":1000}}]}""", "order.created", """{"priority":"low","total":5000}""", true },
        { """{"$or":[{"data.priority":"high"},{"data.total":{"$gt":1000}}]}""", "order.created", """{"priority":"low","total":50}""", false },
        { """{"$and":[{"data.total":{"$gte":10}},{"data.total":{"$lt":20}}]}""", "order.created", """{"total":12}""", true },
        { """{"$not":{"data.status":"draft"}}""", "order.created", """{"status":"draft"}""", false },
        { """{"$not":{"data.status":"draft"}}""", "order.created", """{"status":"open"}""", true },
        { """{"data.status":{"$not":{"$in":["draft","deleted"]}}}""", "order.created", """{"status":"open"}""", true },
        { """{"data.status":{"$not":{"$in":["draft","deleted"]}}}""", "order.created", """{"status":"deleted"}""", false },

        // the examples, and seed 000's two use cases
        { """{"data.total":{"$gte":100},"data.status":{"$in":["shipped","delivered"]}}""", "order.updated", """{"total":150,"status":"shipped"}""", true },
        { """{"data.total":{"$gte":100},"data.status":{"$in":["shipped","delivered"]}}""", "order.updated", """{"total":150,"status":"pending"}""", false },
        { """{"data.total":{"$gte":100},"data.status":{"$in":["shipped","delivered"]}}""", "order.updated", """{"total":50,"status":"shipped"}""", false },
        { """{"type":"item.created","data.priority":"high"}""", "item.created", """{"id":"I-1","priority":"high"}""", true },
        { """{"data.changes.status.to":"ready-to-build"}""", "item.updated", """{"id":"I-1","changes":{"status":{"from":"review","to":"ready-to-build"}}}""", true },
        { """{"data.changes.status.to":"ready-to-build"}""", "item.updated", """{"id":"I-1","changes":{"title":{"from":"a","to":"b"}}}""", false },
    };

    [Theory]
    [MemberData(nameof(Matching))]
    public void Matches_Envelope_FollowsTheTable(string filter, string eventType, string data, bool expected)
    {
        using var evaluator = new WebhookPayloadFilterEvaluator(Envelope(eventType, data), eventType, isEnvelope: true);

        evaluator.Matches(filter).Should().Be(expected);
    }

    [Theory]
    [MemberData(nameof(Matching))]
    public void Matches_DataFormat_DataPathsStillMeanThePublishedData(string filter, string eventType, string data, bool expected)
    {
        var body = WebhookPublisher.Serialize(eventType, T0, w => Write(w, data), int.MaxValue, WebhookPayloadFormat.Data);
        using var evaluator = new WebhookPayloadFilterEvaluator(body, eventType, isEnvelope: false);

        evaluator.Matches(filter).Should().Be(expected);
    }

    // filter, the message's spot (or start), what it says
    public static TheoryData<string, string, string> Invalid => new()
    {
        { """{"data.total":{"$gtee":1}}""", "At 'data.total.$gtee'", "'$gtee' is not an operator; use $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $exists or $not." },
        { """{"data.status":{"$neq":"x"}}""", "At 'data.status.$neq'", "(did you mean $ne?)" },
        { """{"data.x":{"$exist":true}}""", "At 'data.x.$exist'", "(did you mean $exists?)" },
        { """{"$in":[1]}""", "At '$in'", "'$in' tests a field; put it under a path" },
        { """{"$where":"1"}""", "At '$where'", "is not an operator here; use a path such as data.status, or $and, $or or $not." },
        { """{"data.x":{"$and":[{"data.y":1}]}}""", "At 'data.x.$and'", "$and combines whole filters; put it beside the paths" },
        { """{"total":1}""", "At 'total'", "'total' is not a path of the event: paths are 'type', 'data' or start with 'data.', such as data.status." },
        { """{"timestamp":{"$gt":"2026"}}""", "At 'timestamp'", "is not a path of the event" },
        { """{"type.name":"x"}""", "At 'type.name'", "'type' is the event type name, a string; it has no fields." },
        { """{"data..a":1}""", "At 'data..a'", "has an empty field name; separate field names with single dots" },
        { """{"data.a.":1}""", "At 'data.a.'", "has an empty field name" },
        { """{"data.$x":1}""", "At 'data.$x'", "has a field name starting with '$'" },
        { """{"data.a\u0001":1}""", "At 'data.a?'", "the path must not contain control characters." },
        { "{\"data." + new string('p', 252) + "\":1}", "At 'data.ppp", "the path is 257 characters long; the limit is 256." },
        { """{"data.total":{"$gte":[1]}}""", "At 'data.total.$gte'", "$gte compares with a number or a string, not an array." },
        { """{"data.total":{"$lt":true}}""", "At 'data.total.$lt'", "$lt compares with a number or a string, not a boolean." },
        { """{"data.total":{"$gt":1e400}}""", "At 'data.total.$gt'", "the number is out of range" },
        { """{"data.total":1e400}""", "At 'data.total'", "the number is out of range" },
        { """{"data.status":{"$in":"shipped"}}""", "At 'data.status.$in'", "$in takes a non-empty array of values, such as [\"shipped\", \"delivered\"], not a string." },
        { """{"data.status":{"$nin":[]}}""", "At 'data.status.$nin'", "$nin takes a non-empty array of values, such as [\"shipped\", \"delivered\"], not an empty array." },
        { """{"data.status":{"$in":["a",{"b":1}]}}""", "At 'data.status.$in[1]'", "compares with one value (a string, number, true, false or null), not an object; use $in to match any of several values." },
        { """{"data.status":{"$eq":["a"]}}""", "At 'data.status.$eq'", "not an array; use $in" },
        { """{"data.x":{"$exists":"yes"}}""", "At 'data.x.$exists'", "$exists takes true or false, not a string." },
        { """{"data.x":{"$not":"a"}}""", "At 'data.x.$not'", "$not on a field takes an object of operators" },
        { """{"data.x":[1,2]}""", "At 'data.x'", "an array is not a value to compare with; use {\"$in\": [...]} to match any of several values." },
        { """{"data.customer":{"tier":"gold"}}""", "At 'data.customer'", "nested objects are not compared; write the full path with dots instead, such as 'data.customer.tier'." },
        { """{"data.x":{"$eq":1,"tier":2}}""", "At 'data.x'", "mixes operators and field names ('tier')" },
        { """{"data.x":{}}""", "At 'data.x'", "give at least one operator" },
        { """{"data.x":{"$gt":1,"$gt":2}}""", "At 'data.x.$gt'", "is given more than once; give each operator once." },
        { """{"data.x":1,"data.x":2}""", "At 'data.x'", "is given more than once; give each path once" },
        { """{"$or":{"data.x":1}}""", "At '$or'", "$or takes a non-empty array of filters" },
        { """{"$and":[]}""", "At '$and'", "not an empty array." },
        { """{"$and":[1]}""", "At '$and[0]'", "each item of $and is a filter object with at least one condition, not a number." },
        { """{"$or":[{"data.a":1},{}]}""", "At '$or[1]'", "not an empty object." },
        { """{"$or":[{"data.a":{"$bad":1}}]}""", "At '$or[0].data.a.$bad'", "is not an operator" },
        { """{"$not":[]}""", "At '$not'", "$not takes a filter object with at least one condition" },
        { """{"$and":[{"$and":[{"$and":[{"$and":[{"data.a":1}]}]}]}]}""", "At '$and[0].$and[0].$and[0].$and[0]'", "the filter nests deeper than 8 levels of objects and arrays" },
        { """{"$or":[{"$or":[{"$or":[{"data.a":{"$in":[1]}}]}]}]}""", "At '$or[0].$or[0].$or[0].data.a.$in'", "the filter nests deeper than 8 levels" },
        { """[{"data.a":1}]""", "The filter must be a JSON object", "not an array." },
        { "\"{\\\"data.a\\\":1}\"", "Send the filter as a JSON object", "not as a string." },
        { "42", "The filter must be a JSON object", "not a number." },
        { """{"data.a":1""", "The filter is not valid JSON", "(line 1, byte" },
        { """{"data.a":1} // comment""", "The filter is not valid JSON", "" },
        { "{\"data.a\":{\"$in\":[" + string.Join(",", Enumerable.Repeat("\"0123456789\"", 400)) + "]}}", "The filter is 5", "bytes in compact form; the limit is 4096." },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void TryParse_Invalid_SaysWhereAndWhat(string filter, string spot, string what)
    {
        WebhookPayloadFilter.TryParse(filter, out var parsed, out var errors).Should().BeFalse();

        parsed.Should().BeNull();
        errors.Should().Contain(e => e.StartsWith(spot, StringComparison.Ordinal) && e.Contains(what, StringComparison.Ordinal), "the errors were: {0}", string.Join(" | ", errors));
    }

    [Fact]
    public void TryParse_SeveralProblems_ReportsEach()
    {
        WebhookPayloadFilter.TryParse("""{"total":1,"data.a":{"$gtee":1},"$or":[]}""", out _, out var errors).Should().BeFalse();

        errors.Should().HaveCount(3);
        errors.Select(e => e.Split(':')[0]).Should().Equal("At 'total'", "At 'data.a.$gtee'", "At '$or'");
    }

    [Fact]
    public void TryParse_DepthEight_IsAccepted()
    {
        // filter 1, $or array 2, item 3, $or array 4, item 5, operator object 6, $not 7, $in array 8.
        const string Filter = """{"$or":[{"$or":[{"data.a":{"$not":{"$in":[1,2]}}}]}]}""";

        WebhookPayloadFilter.TryParse(Filter, out var parsed, out var errors).Should().BeTrue(string.Join(" | ", errors));
        parsed!.Json.Should().Be(Filter);
    }

    [Fact]
    public void TryParse_JustUnder4KiB_IsAccepted()
    {
        var values = string.Join(",", Enumerable.Range(0, 338).Select(i => $"\"{i:D9}\""));
        var filter = "{\"data.code\":{\"$in\":[" + values + "]}}";
        System.Text.Encoding.UTF8.GetByteCount(filter).Should().BeLessThanOrEqualTo(WebhookPayloadFilterParser.MaxBytes).And.BeGreaterThan(4000);

        WebhookPayloadFilter.TryParse(filter, out var parsed, out _).Should().BeTrue();
        parsed!.Json.Should().Be(filter);
    }

    [Theory]
    [InlineData("{ \"data.b\" : 1 ,\n  \"data.a\": { \"$in\" : [ \"x\", 2.50, 1e2 ] } }", """{"data.b":1,"data.a":{"$in":["x",2.50,1e2]}}""")]
    [InlineData("""{"data.name":"Zoë ✓ <b> & 'q' \"d\""}""", """{"data.name":"Zoë ✓ <b> & 'q' \"d\""}""")]
    [InlineData("""{"data.name":"Zo\u00eb"}""", """{"data.name":"Zoë"}""")]
    [InlineData("{}", null)]
    [InlineData("  { } ", null)]
    [InlineData("", null)]
    [InlineData("   ", null)]
    public void Normalize_WritesCompactFormKeepingKeyOrder(string filter, string? stored)
    {
        WebhookPayloadFilter.Normalize(filter).Should().Be(stored);
    }

    [Fact]
    public void Evaluator_ParsesTheBodyOnceAndEachDistinctFilterOnce()
    {
        using var evaluator = new WebhookPayloadFilterEvaluator(Envelope("order.paid", """{"total":150,"status":"shipped"}"""), "order.paid", isEnvelope: true);
        const string A = """{"data.total":{"$gte":100}}""";
        const string B = """{"data.status":"pending"}""";

        string?[] filters = [A, null, B, A, A, B, null];
        var results = filters.Select(evaluator.Matches).ToList();

        results.Should().Equal(true, true, false, true, true, false, true);
        evaluator.BodyParses.Should().Be(1);
        evaluator.Evaluations.Should().Be(2, "A and B are each evaluated once, however many subscriptions share them");
    }

    [Fact]
    public void Evaluator_NoFilters_NeverParsesTheBody()
    {
        using var evaluator = new WebhookPayloadFilterEvaluator(Envelope("order.paid", "{}"), "order.paid", isEnvelope: true);

        evaluator.Matches(null).Should().BeTrue();
        evaluator.Matches(null).Should().BeTrue();

        evaluator.BodyParses.Should().Be(0);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("""{"total":1}""")]
    public void Evaluator_StoredTextThatIsNotAFilter_Delivers(string stored)
    {
        // Only a store edited around the engine holds one; delivering more than asked beats dropping events unseen.
        using var evaluator = new WebhookPayloadFilterEvaluator(Envelope("order.paid", "{}"), "order.paid", isEnvelope: true);

        evaluator.Matches(stored).Should().BeTrue();
    }

    private static byte[] Envelope(string eventType, string data) =>
        WebhookPublisher.Serialize(eventType, T0, w => Write(w, data), int.MaxValue);

    private static void Write(Utf8JsonWriter writer, string data)
    {
        using var document = JsonDocument.Parse(data);
        document.RootElement.WriteTo(writer);
    }
}
