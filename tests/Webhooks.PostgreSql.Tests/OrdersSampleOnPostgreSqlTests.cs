using System.Net;
using System.Net.Http.Json;
using Webhooks.AspNetCore.Tests.Sample;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>The Orders sample switches to PostgreSQL when ConnectionStrings:Webhooks is set.</summary>
[Collection(PostgresCollection.Name)]
public sealed class OrdersSampleOnPostgreSqlTests(PostgresCluster cluster)
{
    [Fact]
    public async Task Sample_WithConnectionString_KeepsSubscriptionsAndDeliveriesInPostgreSql()
    {
        var cs = await cluster.CreateDatabaseAsync("orders_sample");
        await using var receiver = await TestReceiver.StartAsync();
        await using var sample = new OrdersSampleFactory("Development", new Dictionary<string, string?> { ["ConnectionStrings:Webhooks"] = cs });
        using var alice = sample.ClientWithKey("alice-dev-key");

        var created = await alice.PostAsJsonAsync("/webhooks", new { name = "orders", url = receiver.Url(), events = new[] { "order.*" } });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var order = await alice.PostAsJsonAsync("/orders", new { customer = "ACME", items = new[] { new { sku = "A-1", quantity = 2, unitPrice = 9.5 } } });
        order.StatusCode.Should().Be(HttpStatusCode.Created);

        var request = (await receiver.WaitForAsync(1))[0];
        request.BodyText.Should().Contain("\"type\":\"order.created\"").And.Contain("ACME");
        (await Pg.ScalarAsync<long>(cs, "SELECT count(*) FROM webhooks.subscriptions WHERE owner = 'alice'")).Should().Be(1);
        await Eventually.TrueAsync(
            async () => await Pg.ScalarAsync<long>(cs, "SELECT count(*) FROM webhooks.deliveries WHERE status = 1") == 1,
            "the delivery to be recorded as succeeded in PostgreSQL");
    }
}
