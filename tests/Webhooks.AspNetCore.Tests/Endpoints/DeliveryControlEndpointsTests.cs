using System.Net;
using Webhooks.AspNetCore.Tests.Infrastructure;

namespace Webhooks.AspNetCore.Tests.Endpoints;

/// <summary><c>rateLimit</c> and <c>ordered</c> through the management endpoints: saved, shown, changed and removed; out of range is a 400 on the field.</summary>
[Collection(ApiCollection.Name)]
public sealed class DeliveryControlEndpointsTests(ApiFixture fixture)
{
    private readonly ApiHost _host = fixture.Host;

    [Fact]
    public async Task RateLimitAndOrdered_CreatedShownChangedAndRemoved()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var created = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks",
            """{"name":"n","url":"https://example.com/h","events":["order.created"],"rateLimit":25,"ordered":true}""")).JsonAsync(HttpStatusCode.Created);
        created["rateLimit"]!.GetValue<int>().Should().Be(25);
        created["ordered"]!.GetValue<bool>().Should().BeTrue();
        var id = (string)created["id"]!;

        var renamed = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"name":"renamed"}""")).JsonAsync(HttpStatusCode.OK);
        renamed["rateLimit"]!.GetValue<int>().Should().Be(25, "an omitted rateLimit stays");
        renamed["ordered"]!.GetValue<bool>().Should().BeTrue("an omitted ordered stays");

        var changed = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"rateLimit":0,"ordered":false}""")).JsonAsync(HttpStatusCode.OK);
        changed["rateLimit"].Should().BeNull("0 removes the limit");
        changed["ordered"]!.GetValue<bool>().Should().BeFalse();

        var plain = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", """{"name":"p","url":"https://example.com/h","events":["order.created"]}""")).JsonAsync(HttpStatusCode.Created);
        plain["rateLimit"].Should().BeNull("no limit unless asked");
        plain["ordered"]!.GetValue<bool>().Should().BeFalse();
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("-5")]
    public async Task Create_RateLimitOutOfRange_400OnTheField(string value)
    {
        using var client = _host.Client(ApiFixture.NewOwner());

        var errors = await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks",
            """{"name":"n","url":"https://example.com/h","events":["order.created"],"rateLimit":""" + value + "}")).ValidationErrorsAsync();

        errors.Keys.Should().Equal("rateLimit");
        errors["rateLimit"].Single().Should().Contain("1 to 10,000");
    }

    [Fact]
    public async Task Update_RateLimitOutOfRange_400OnTheField()
    {
        using var client = _host.Client(ApiFixture.NewOwner());
        var id = (string)(await (await client.SendJsonAsync(HttpMethod.Post, "/webhooks", """{"name":"n","url":"https://example.com/h","events":["order.created"]}""")).JsonAsync(HttpStatusCode.Created))["id"]!;

        var errors = await (await client.SendJsonAsync(HttpMethod.Patch, $"/webhooks/{id}", """{"rateLimit":20000}""")).ValidationErrorsAsync();

        errors["rateLimit"].Single().Should().Contain("0 removes the limit");
    }
}
