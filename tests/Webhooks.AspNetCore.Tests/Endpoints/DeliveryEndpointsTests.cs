using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

[Collection(ApiCollection.Name)]
public sealed class DeliveryEndpointsTests(ApiFixture fixture)
{
    private readonly ApiHost _host = fixture.Host;

    /// <summary>A subscription whose receiver path answers what <paramref name="status"/> says for the n-th request to it.</summary>
    private async Task<(HttpClient Client, string Owner, string Id, string Path)> SubscribeAsync(Func<int, int> status)
    {
        var owner = ApiFixture.NewOwner();
        var client = _host.Client(owner);
        var path = "/dlv-" + Guid.NewGuid().ToString("N");
        int count = 0;
        var previous = fixture.Receiver.Responder;
        fixture.Receiver.Responder = async (ctx, n) =>
        {
            if (ctx.Request.Path == path)
            {
                ctx.Response.StatusCode = status(Interlocked.Increment(ref count));
                await ctx.Response.WriteAsync("answer " + count);
            }
            else
            {
                await previous(ctx, n);
            }
        };
        var id = (string)(await client.CreateSubscriptionAsync("log", fixture.Receiver.Url(path), "order.*"))["id"]!;
        return (client, owner, id, path);
    }

    private async Task<JsonNode> WaitForStatusAsync(HttpClient client, string id, string deliveryId, string status) =>
        await Eventually.GetAsync(async () =>
        {
            var d = await (await client.GetAsync($"/webhooks/{id}/deliveries/{deliveryId}")).JsonAsync(HttpStatusCode.OK);
            return (string)d["status"]! == status ? d : null;
        }, $"delivery {deliveryId} to be {status}");

    private async Task<string[]> PublishAsync(string owner, int count)
    {
        var ids = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var result = await _host.Publisher.PublishAsync(i % 2 == 0 ? "order.created" : "order.updated", new { n = i }, new WebhookPublishOptions { Owner = owner });
            result.DeliveryCount.Should().Be(1);
            ids.Add(result.MessageId);
        }

        return [.. ids];
    }

    [Fact]
    public async Task Deliveries_List_NewestFirstPagedAndFilteredByStatus()
    {
        // Requests 2 and 4 fail (no retries in the fixture): 3 succeed, 2 fail.
        var (client, owner, id, _) = await SubscribeAsync(n => n is 2 or 4 ? 500 : 200);
        using var _ = client;
        var messages = await PublishAsync(owner, 5);
        await Eventually.TrueAsync(async () =>
        {
            var page = await (await client.GetAsync($"/webhooks/{id}/deliveries")).JsonAsync(HttpStatusCode.OK);
            return page["items"]!.AsArray().All(d => (string)d!["status"]! != "pending") && page["items"]!.AsArray().Count == 5;
        }, "all five deliveries to finish");

        var first = await (await client.GetAsync($"/webhooks/{id}/deliveries?limit=3")).JsonAsync(HttpStatusCode.OK);
        first["items"]!.AsArray().Select(d => (string)d!["messageId"]!).Should().Equal(messages[4], messages[3], messages[2]);
        first["items"]![0]!["attempts"].Should().BeNull("lists carry no attempts");
        var next = Uri.EscapeDataString((string)first["nextCursor"]!);
        var second = await (await client.GetAsync($"/webhooks/{id}/deliveries?limit=3&cursor={next}")).JsonAsync(HttpStatusCode.OK);
        second["items"]!.AsArray().Select(d => (string)d!["messageId"]!).Should().Equal(messages[1], messages[0]);
        second["nextCursor"].Should().BeNull();

        var failed = await (await client.GetAsync($"/webhooks/{id}/deliveries?status=failed")).JsonAsync(HttpStatusCode.OK);
        failed["items"]!.AsArray().Should().HaveCount(2);
        failed["items"]!.AsArray().Should().AllSatisfy(d =>
        {
            d!["status"]!.GetValue<string>().Should().Be("failed");
            d["lastStatusCode"]!.GetValue<int>().Should().Be(500);
            d["lastError"]!.GetValue<string>().Should().Contain("500");
        });
        var succeeded = await (await client.GetAsync($"/webhooks/{id}/deliveries?status=Succeeded")).JsonAsync(HttpStatusCode.OK);
        succeeded["items"]!.AsArray().Should().HaveCount(3);
    }

    [Fact]
    public async Task Delivery_Get_ReturnsEveryAttempt()
    {
        var (client, owner, id, _) = await SubscribeAsync(n => 503);
        using var _ = client;
        await PublishAsync(owner, 1);
        var deliveryId = (string)(await Eventually.GetAsync(async () =>
            (await (await client.GetAsync($"/webhooks/{id}/deliveries?status=failed")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().FirstOrDefault(), "the failed delivery"))!["id"]!;

        var delivery = await (await client.GetAsync($"/webhooks/{id}/deliveries/{deliveryId}")).JsonAsync(HttpStatusCode.OK);

        delivery["id"]!.GetValue<string>().Should().Be(deliveryId);
        delivery["eventType"]!.GetValue<string>().Should().Be("order.created");
        delivery["attemptCount"]!.GetValue<int>().Should().Be(1);
        var attempt = delivery["attempts"]!.AsArray().Single()!;
        attempt["number"]!.GetValue<int>().Should().Be(1);
        attempt["statusCode"]!.GetValue<int>().Should().Be(503);
        attempt["succeeded"]!.GetValue<bool>().Should().BeFalse();
        attempt["errorKind"]!.GetValue<string>().Should().Be("httpStatus");
        attempt["responseExcerpt"]!.GetValue<string>().Should().Be("answer 1");
        attempt["startedAt"]!.GetValue<DateTimeOffset>().Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Redeliver_FailedDelivery_Returns202AndSendsAgainKeepingAttempts()
    {
        var (client, owner, id, path) = await SubscribeAsync(n => n == 1 ? 500 : 200);
        using var _ = client;
        var message = (await PublishAsync(owner, 1))[0];
        var deliveryId = (string)(await Eventually.GetAsync(async () =>
            (await (await client.GetAsync($"/webhooks/{id}/deliveries?status=failed")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().FirstOrDefault(), "the failed delivery"))!["id"]!;

        var response = await client.PostAsync($"/webhooks/{id}/deliveries/{deliveryId}/redeliver", null);

        var accepted = await response.JsonAsync(HttpStatusCode.Accepted);
        accepted["id"]!.GetValue<string>().Should().Be(deliveryId);
        var done = await WaitForStatusAsync(client, id, deliveryId, "succeeded");
        done["attempts"]!.AsArray().Select(a => (int)a!["statusCode"]!).Should().Equal(500, 200);
        fixture.Receiver.Requests.Where(r => r.Path == path).Select(r => r.Header("webhook-id")).Should().Equal(message, message);
    }

    [Fact]
    public async Task Redeliver_PendingDelivery_Returns409()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var owner = ApiFixture.NewOwner();
        using var client = _host.Client(owner);
        var path = "/slow-" + Guid.NewGuid().ToString("N");
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var previous = fixture.Receiver.Responder;
        fixture.Receiver.Responder = async (ctx, n) =>
        {
            if (ctx.Request.Path == path)
            {
                arrived.TrySetResult();
                await release.Task.WaitAsync(TimeSpan.FromSeconds(10));
                ctx.Response.StatusCode = 200;
            }
            else
            {
                await previous(ctx, n);
            }
        };
        try
        {
            var id = (string)(await client.CreateSubscriptionAsync("slow", fixture.Receiver.Url(path)))["id"]!;
            await PublishAsync(owner, 1);
            await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            var deliveryId = (string)(await (await client.GetAsync($"/webhooks/{id}/deliveries")).JsonAsync(HttpStatusCode.OK))["items"]![0]!["id"]!;

            var response = await client.PostAsync($"/webhooks/{id}/deliveries/{deliveryId}/redeliver", null);

            var problem = await response.ProblemAsync(HttpStatusCode.Conflict);
            problem["detail"]!.GetValue<string>().Should().Contain("has not finished");
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task Recover_FailedSince_RequeuesEachAndTheySucceed()
    {
        bool down = true;
        var (client, owner, id, _) = await SubscribeAsync(n => Volatile.Read(ref down) ? 500 : 200);
        using var _ = client;
        var since = DateTimeOffset.UtcNow.AddMinutes(-1);
        await PublishAsync(owner, 3);
        await Eventually.TrueAsync(async () =>
            (await (await client.GetAsync($"/webhooks/{id}/deliveries?status=failed")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Count == 3,
            "three failed deliveries");
        Volatile.Write(ref down, false);

        var response = await client.SendJsonAsync(HttpMethod.Post, $"/webhooks/{id}/recover", $$"""{"since":"{{since:O}}"}""");

        (await response.JsonAsync(HttpStatusCode.Accepted))["requeued"]!.GetValue<int>().Should().Be(3);
        await Eventually.TrueAsync(async () =>
            (await (await client.GetAsync($"/webhooks/{id}/deliveries?status=succeeded")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Count == 3,
            "the recovered deliveries to succeed");
        var future = await client.SendJsonAsync(HttpMethod.Post, $"/webhooks/{id}/recover", $$"""{"since":"{{DateTimeOffset.UtcNow.AddMinutes(5):O}}"}""");
        (await future.JsonAsync(HttpStatusCode.Accepted))["requeued"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public async Task Recover_MissingSince_Returns400NamingSince()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await client.CreateSubscriptionAsync("r", "https://example.com/r"))["id"]!;

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, $"/webhooks/{id}/recover", "{}")).ValidationErrorsAsync();

        errors.Should().ContainKey("since").WhoseValue.Single().Should().Contain("Give the time to recover from");
    }

    [Fact]
    public async Task Stats_AfterSuccessesAndFailures_CountsPerBucket()
    {
        var (client, owner, id, _) = await SubscribeAsync(n => n == 3 ? 500 : 200);
        using var _ = client;
        await PublishAsync(owner, 4);
        await Eventually.TrueAsync(async () =>
            (await (await client.GetAsync($"/webhooks/{id}/deliveries")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().All(d => (string)d!["status"]! != "pending"),
            "the deliveries to finish");

        var stats = await (await client.GetAsync($"/webhooks/{id}/stats?window=2h&bucket=15m")).JsonAsync(HttpStatusCode.OK);

        stats["succeeded"]!.GetValue<int>().Should().Be(3);
        stats["failed"]!.GetValue<int>().Should().Be(1);
        stats["bucketSeconds"]!.GetValue<long>().Should().Be(900);
        var buckets = stats["buckets"]!.AsArray();
        buckets.Count.Should().BeInRange(8, 9);
        buckets.Sum(b => (int)b!["succeeded"]!).Should().Be(3);
        buckets.Sum(b => (int)b!["failed"]!).Should().Be(1);
        var starts = buckets.Select(b => b!["start"]!.GetValue<DateTimeOffset>()).ToList();
        starts.Should().BeInAscendingOrder();
        starts.Zip(starts.Skip(1), (a, b) => b - a).Should().AllBeEquivalentTo(TimeSpan.FromMinutes(15));

        var defaults = await (await client.GetAsync($"/webhooks/{id}/stats")).JsonAsync(HttpStatusCode.OK);
        defaults["bucketSeconds"]!.GetValue<long>().Should().Be(3600);
        (defaults["windowEnd"]!.GetValue<DateTimeOffset>() - defaults["windowStart"]!.GetValue<DateTimeOffset>()).Should().Be(TimeSpan.FromHours(24));
    }

    /// <summary>
    /// One owner with two subscriptions, A (order.created, answers 200) and B (order.updated, answers
    /// 500; no retries in the fixture), after three publishes: A gets two deliveries that succeed, B one that fails.
    /// </summary>
    private async Task<(HttpClient Client, string A, string B, string[] Messages)> TwoSubscriptionsAsync()
    {
        var owner = ApiFixture.NewOwner();
        var client = _host.Client(owner);
        var tag = Guid.NewGuid().ToString("N");
        var previous = fixture.Receiver.Responder;
        fixture.Receiver.Responder = async (ctx, n) =>
        {
            if (ctx.Request.Path == "/a-" + tag || ctx.Request.Path == "/b-" + tag)
            {
                ctx.Response.StatusCode = ctx.Request.Path == "/a-" + tag ? 200 : 500;
                await ctx.Response.WriteAsync("answer");
            }
            else
            {
                await previous(ctx, n);
            }
        };
        var a = (string)(await client.CreateSubscriptionAsync("a", fixture.Receiver.Url("/a-" + tag), "order.created"))["id"]!;
        var b = (string)(await client.CreateSubscriptionAsync("b", fixture.Receiver.Url("/b-" + tag), "order.updated"))["id"]!;
        var messages = new List<string>();
        foreach (var type in new[] { "order.created", "order.updated", "order.created" })
        {
            var result = await _host.Publisher.PublishAsync(type, new { type }, new WebhookPublishOptions { Owner = owner });
            result.DeliveryCount.Should().Be(1);
            messages.Add(result.MessageId);
        }

        await Eventually.TrueAsync(async () =>
        {
            var page = await (await client.GetAsync("/webhooks/deliveries")).JsonAsync(HttpStatusCode.OK);
            return page["items"]!.AsArray().Count == 3 && page["items"]!.AsArray().All(d => (string)d!["status"]! != "pending");
        }, "the three deliveries to finish");
        return (client, a, b, [.. messages]);
    }

    [Fact]
    public async Task OwnerDeliveries_AcrossSubscriptions_NewestFirstPagedAndFiltered()
    {
        var (client, a, b, messages) = await TwoSubscriptionsAsync();
        using var _ = client;

        var all = await (await client.GetAsync("/webhooks/deliveries")).JsonAsync(HttpStatusCode.OK);
        all["items"]!.AsArray().Select(d => ((string)d!["messageId"]!, (string)d["subscriptionId"]!))
            .Should().Equal((messages[2], a), (messages[1], b), (messages[0], a));
        all["items"]![0]!["attempts"].Should().BeNull("lists carry no attempts");

        var first = await (await client.GetAsync("/webhooks/deliveries?limit=2")).JsonAsync(HttpStatusCode.OK);
        first["items"]!.AsArray().Select(d => (string)d!["messageId"]!).Should().Equal(messages[2], messages[1]);
        var second = await (await client.GetAsync($"/webhooks/deliveries?limit=2&cursor={Uri.EscapeDataString((string)first["nextCursor"]!)}")).JsonAsync(HttpStatusCode.OK);
        second["items"]!.AsArray().Select(d => (string)d!["messageId"]!).Should().Equal(messages[0]);
        second["nextCursor"].Should().BeNull();

        var failed = await (await client.GetAsync("/webhooks/deliveries?status=failed")).JsonAsync(HttpStatusCode.OK);
        failed["items"]!.AsArray().Select(d => (string)d!["subscriptionId"]!).Should().Equal(b);
        var created = await (await client.GetAsync("/webhooks/deliveries?eventType=order.created")).JsonAsync(HttpStatusCode.OK);
        created["items"]!.AsArray().Select(d => (string)d!["messageId"]!).Should().Equal(messages[2], messages[0]);
        var ofB = await (await client.GetAsync($"/webhooks/deliveries?subscription={b}")).JsonAsync(HttpStatusCode.OK);
        ofB["items"]!.AsArray().Select(d => (string)d!["messageId"]!).Should().Equal(messages[1]);
        var none = await (await client.GetAsync($"/webhooks/deliveries?subscription={a}&status=failed")).JsonAsync(HttpStatusCode.OK);
        none["items"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task OwnerDelivery_Get_ReturnsAttempts_AndOnlyToItsOwner()
    {
        var (client, a, b, _) = await TwoSubscriptionsAsync();
        using var _ = client;
        var failedId = (string)(await (await client.GetAsync("/webhooks/deliveries?status=failed")).JsonAsync(HttpStatusCode.OK))["items"]![0]!["id"]!;

        var delivery = await (await client.GetAsync($"/webhooks/deliveries/{failedId}")).JsonAsync(HttpStatusCode.OK);

        delivery["subscriptionId"]!.GetValue<string>().Should().Be(b);
        delivery["attempts"]!.AsArray().Select(x => (int)x!["statusCode"]!).Should().Equal(500);

        // The subscription-scoped routes answer only for the subscription the delivery went to.
        (await (await client.GetAsync($"/webhooks/{b}/deliveries/{failedId}")).JsonAsync(HttpStatusCode.OK))["id"]!.GetValue<string>().Should().Be(failedId);
        await (await client.GetAsync($"/webhooks/{a}/deliveries/{failedId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await client.PostAsync($"/webhooks/{a}/deliveries/{failedId}/redeliver", null)).ProblemAsync(HttpStatusCode.NotFound);

        using var other = _host.Client(ApiFixture.NewOwner("other"));
        var theirs = await (await other.GetAsync($"/webhooks/deliveries/{failedId}")).ProblemAsync(HttpStatusCode.NotFound);
        var unknown = await (await other.GetAsync("/webhooks/deliveries/dlv_01M890Z336Q15K300VKFWQQ6XE")).ProblemAsync(HttpStatusCode.NotFound);
        theirs["detail"]!.GetValue<string>().Replace(failedId, "ID", StringComparison.Ordinal)
            .Should().Be(unknown["detail"]!.GetValue<string>().Replace("dlv_01M890Z336Q15K300VKFWQQ6XE", "ID", StringComparison.Ordinal));
        (await (await other.GetAsync("/webhooks/deliveries")).JsonAsync(HttpStatusCode.OK))["items"]!.AsArray().Should().BeEmpty();
        await (await other.GetAsync($"/webhooks/deliveries?subscription={a}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await other.GetAsync($"/webhooks/stats?subscription={a}")).ProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OwnerStats_CountsEverySubscriptionsAttempts_OrOnesWithSubscription()
    {
        var (client, a, b, _) = await TwoSubscriptionsAsync();
        using var _ = client;

        var all = await (await client.GetAsync("/webhooks/stats?window=2h&bucket=15m")).JsonAsync(HttpStatusCode.OK);
        var ofA = await (await client.GetAsync($"/webhooks/stats?window=2h&bucket=15m&subscription={a}")).JsonAsync(HttpStatusCode.OK);
        var ofB = await (await client.GetAsync($"/webhooks/stats?subscription={b}")).JsonAsync(HttpStatusCode.OK);

        (all["succeeded"]!.GetValue<int>(), all["failed"]!.GetValue<int>()).Should().Be((2, 1));
        all["bucketSeconds"]!.GetValue<long>().Should().Be(900);
        all["buckets"]!.AsArray().Sum(x => (int)x!["succeeded"]! + (int)x["failed"]!).Should().Be(3);
        (ofA["succeeded"]!.GetValue<int>(), ofA["failed"]!.GetValue<int>()).Should().Be((2, 0));
        (ofB["succeeded"]!.GetValue<int>(), ofB["failed"]!.GetValue<int>()).Should().Be((0, 1));
        ofB["bucketSeconds"]!.GetValue<long>().Should().Be(3600, "the defaults are a 24h window in 1h buckets");

        using var other = _host.Client(ApiFixture.NewOwner("other"));
        var theirs = await (await other.GetAsync("/webhooks/stats")).JsonAsync(HttpStatusCode.OK);
        (theirs["succeeded"]!.GetValue<int>(), theirs["failed"]!.GetValue<int>()).Should().Be((0, 0));
    }

    [Fact]
    public async Task StatsBySubscription_TotalsEachListedSubscription_InOneRequest_AndLeavesOutOthers()
    {
        var (client, a, b, _) = await TwoSubscriptionsAsync();
        using var _ = client;
        using var other = _host.Client(ApiFixture.NewOwner("other"));
        var theirs = (string)(await other.CreateSubscriptionAsync("theirs", fixture.Receiver.Url("/theirs"), "order.created"))["id"]!;

        var totals = await (await client.GetAsync($"/webhooks/stats/subscriptions?ids={b},{a},{theirs},{a}")).JsonAsync(HttpStatusCode.OK);

        totals["items"]!.AsArray().Select(x => ((string)x!["subscriptionId"]!, (int)x["succeeded"]!, (int)x["failed"]!))
            .Should().Equal((b, 0, 1), (a, 2, 0));
        (totals["windowEnd"]!.GetValue<DateTimeOffset>() - totals["windowStart"]!.GetValue<DateTimeOffset>()).Should().Be(TimeSpan.FromHours(24));
        (await (await client.GetAsync("/webhooks/stats/subscriptions")).ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["ids"].Should().NotBeNull();
        (await (await client.GetAsync("/webhooks/stats/subscriptions?ids=nope")).ProblemAsync(HttpStatusCode.BadRequest))["errors"]!["ids"].Should().NotBeNull();
        var many = string.Join(',', Enumerable.Range(0, 101).Select(i => $"sub_{i}"));
        await (await client.GetAsync($"/webhooks/stats/subscriptions?ids={many}")).ProblemAsync(HttpStatusCode.BadRequest);
    }
}
