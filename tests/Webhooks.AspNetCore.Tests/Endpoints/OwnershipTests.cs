using System.Net;
using Webhooks.AspNetCore.Tests.Infrastructure;
using Webhooks.Core.Publishing;
using Webhooks.Core.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary>Two owners, each blind to the other: another owner's subscription answers exactly as an unknown id.</summary>
[Collection(ApiCollection.Name)]
public sealed class OwnershipTests(ApiFixture fixture)
{
    private readonly ApiHost _host = fixture.Host;

    public static TheoryData<string, string, string?> OwnedRoutes => new()
    {
        { "GET", "", null },
        { "PUT", "", """{"name":"stolen"}""" },
        { "PATCH", "", """{"active":false}""" },
        { "DELETE", "", null },
        { "POST", "/enable", null },
        { "POST", "/disable", null },
        { "POST", "/rotate-secret", null },
        { "POST", "/test", null },
        { "GET", "/deliveries", null },
        { "GET", "/deliveries/dlv_01M890Z336Q15K300VKFWQQ6XE", null },
        { "POST", "/deliveries/dlv_01M890Z336Q15K300VKFWQQ6XE/redeliver", null },
        { "POST", "/recover", """{"since":"2020-01-01T00:00:00Z"}""" },
        { "GET", "/stats", null },
    };

    [Theory]
    [MemberData(nameof(OwnedRoutes))]
    public async Task OtherOwnersSubscription_AnyRoute_Answers404AsAnUnknownId(string method, string suffix, string? body)
    {
        var path = "/own-" + Guid.NewGuid().ToString("N");
        using var alice = _host.Client(ApiFixture.NewOwner("alice"));
        using var bob = _host.Client(ApiFixture.NewOwner("bob"));
        var aliceSub = await alice.CreateSubscriptionAsync("mine", fixture.Receiver.Url(path));
        var id = (string)aliceSub["id"]!;
        const string unknown = "sub_01M890Z336Q15K300VKFWQQ6XE";

        var theirs = await bob.SendJsonAsync(new HttpMethod(method), $"/webhooks/{id}{suffix}", body);
        var missing = await bob.SendJsonAsync(new HttpMethod(method), $"/webhooks/{unknown}{suffix}", body);

        var theirsProblem = await theirs.ProblemAsync(HttpStatusCode.NotFound);
        var missingProblem = await missing.ProblemAsync(HttpStatusCode.NotFound);
        theirsProblem["title"]!.GetValue<string>().Should().Be(missingProblem["title"]!.GetValue<string>());
        theirsProblem["detail"]!.GetValue<string>().Replace(id, "ID", StringComparison.Ordinal)
            .Should().Be(missingProblem["detail"]!.GetValue<string>().Replace(unknown, "ID", StringComparison.Ordinal));
        theirs.Headers.ETag.Should().BeNull();

        // Alice's subscription is untouched and nothing was sent to her receiver.
        var after = await (await alice.GetAsync($"/webhooks/{id}")).JsonAsync(HttpStatusCode.OK);
        after["version"]!.GetValue<long>().Should().Be(1);
        after["name"]!.GetValue<string>().Should().Be("mine");
        after["secret"]!.GetValue<string>().Should().Be("whsec_…" + ((string)aliceSub["secret"]!)[^4..]);
        fixture.Receiver.Requests.Should().NotContain(r => r.Path == path);
    }

    [Fact]
    public async Task List_TwoOwners_EachSeesOnlyTheirOwn()
    {
        using var alice = _host.Client(ApiFixture.NewOwner("alice"));
        using var bob = _host.Client(ApiFixture.NewOwner("bob"));
        await alice.CreateSubscriptionAsync("same-name", "https://example.com/a");
        await alice.CreateSubscriptionAsync("alice-only", "https://example.com/a2");
        await bob.CreateSubscriptionAsync("same-name", "https://example.com/b");

        var aliceList = await (await alice.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);
        var bobList = await (await bob.GetAsync("/webhooks")).JsonAsync(HttpStatusCode.OK);

        aliceList["items"]!.AsArray().Select(s => (string)s!["url"]!).Should().Equal("https://example.com/a", "https://example.com/a2");
        bobList["items"]!.AsArray().Select(s => (string)s!["url"]!).Should().Equal("https://example.com/b");
    }

    [Fact]
    public async Task Publish_ForOneOwner_ReachesOnlyThatOwnersSubscriptions()
    {
        var aliceOwner = ApiFixture.NewOwner("alice");
        var bobOwner = ApiFixture.NewOwner("bob");
        using var alice = _host.Client(aliceOwner);
        using var bob = _host.Client(bobOwner);
        var alicePath = "/alice-" + Guid.NewGuid().ToString("N");
        var bobPath = "/bob-" + Guid.NewGuid().ToString("N");
        var aliceId = (string)(await alice.CreateSubscriptionAsync("orders", fixture.Receiver.Url(alicePath)))["id"]!;
        var bobId = (string)(await bob.CreateSubscriptionAsync("orders", fixture.Receiver.Url(bobPath)))["id"]!;

        var published = await _host.Publisher.PublishAsync("order.created", new { id = 1 }, new WebhookPublishOptions { Owner = aliceOwner });

        published.DeliveryCount.Should().Be(1);
        await Eventually.TrueAsync(() => Task.FromResult(fixture.Receiver.Requests.Any(r => r.Path == alicePath)), "alice's delivery");
        var aliceLog = await (await alice.GetAsync($"/webhooks/{aliceId}/deliveries")).JsonAsync(HttpStatusCode.OK);
        aliceLog["items"]!.AsArray().Should().ContainSingle();
        var deliveryId = (string)aliceLog["items"]![0]!["id"]!;
        var bobLog = await (await bob.GetAsync($"/webhooks/{bobId}/deliveries")).JsonAsync(HttpStatusCode.OK);
        bobLog["items"]!.AsArray().Should().BeEmpty();
        fixture.Receiver.Requests.Should().NotContain(r => r.Path == bobPath);

        // Bob cannot reach alice's delivery through his own subscription either.
        await (await bob.GetAsync($"/webhooks/{bobId}/deliveries/{deliveryId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await bob.PostAsync($"/webhooks/{bobId}/deliveries/{deliveryId}/redeliver", null)).ProblemAsync(HttpStatusCode.NotFound);
    }
}
