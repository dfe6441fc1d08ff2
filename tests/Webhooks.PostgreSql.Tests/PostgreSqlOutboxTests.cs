using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Webhooks.Core;
using Webhooks.Core.Catalog;
using Webhooks.Core.Delivery;
using Webhooks.Core.Tests.Infrastructure;
using Webhooks.PostgreSql.Tests.Infrastructure;

namespace Webhooks.PostgreSql.Tests;

/// <summary>Publishing inside the app's own transaction: the webhook exists exactly when the app's change does.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlOutboxTests(PostgresCluster cluster)
{
    private static readonly WebhookEvent<OrderPlaced> OrderCreated = new("order.created");

    [Fact]
    public async Task PublishInTransaction_RollbackSendsNothing_CommitDelivers()
    {
        const string schema = "outbox";
        var cs = await cluster.CreateDatabaseAsync("outbox");
        await using var receiver = await TestReceiver.StartAsync();
        // Polling every 5 minutes: the commit's NOTIFY is what wakes the dispatcher.
        await using var host = await PgHosts.StartAsync(cs, schema, o => o.PollInterval = TimeSpan.FromMinutes(5));
        await PgHosts.SubscribeAsync(host, receiver.Url(), "orders");
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await Execute(connection, null, "CREATE TABLE IF NOT EXISTS orders (id integer PRIMARY KEY)");

        string rolledBack;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await Execute(connection, transaction, "INSERT INTO orders VALUES (1)");
            var result = await host.Publisher.PublishAsync("order.created", new { id = 1 }, transaction);
            result.DeliveryCount.Should().Be(1);
            rolledBack = result.MessageId;
            await transaction.RollbackAsync();
        }

        string committed;
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await Execute(connection, transaction, "INSERT INTO orders VALUES (2)");
            var result = await host.Publisher.PublishAsync("order.created", new { id = 2 }, transaction);
            committed = result.MessageId;
            (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM {schema}.messages")).Should().Be(0, "nothing is visible before the commit");
            await transaction.CommitAsync();
        }

        var request = (await receiver.WaitForAsync(1, TimeSpan.FromSeconds(20)))[0];
        request.Header("webhook-id").Should().Be(committed);
        request.BodyText.Should().Contain("\"id\":2");
        await Eventually.TrueAsync(async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == 1, "the delivery recorded");
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM {schema}.messages WHERE id = '{rolledBack}'")).Should().Be(0);
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM {schema}.deliveries")).Should().Be(1, "the rolled-back publish left no delivery");
        receiver.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task PublishInTransaction_TypedEventAndIdempotencyKey_DeduplicatesAcrossTransactions()
    {
        const string schema = "outbox_typed";
        var cs = await cluster.CreateDatabaseAsync("outbox");
        await using var receiver = await TestReceiver.StartAsync();
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType(OrderCreated).UsePostgreSql(cs, o => o.Schema = schema));
        await PgHosts.SubscribeAsync(host, receiver.Url(), "orders");
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        var options = new Webhooks.Core.Publishing.WebhookPublishOptions { IdempotencyKey = "order-3" };

        await using (var first = await connection.BeginTransactionAsync())
        {
            (await host.Publisher.PublishAsync(OrderCreated, new OrderPlaced(3), first, options)).IsDuplicate.Should().BeFalse();
            await first.CommitAsync();
        }

        await using (var second = await connection.BeginTransactionAsync())
        {
            (await host.Publisher.PublishAsync(OrderCreated, new OrderPlaced(3), second, options)).IsDuplicate.Should().BeTrue();
            await second.CommitAsync();
        }

        (await receiver.WaitForAsync(1))[0].BodyText.Should().Contain("\"orderId\":3");
        await Eventually.TrueAsync(async () => await PgHosts.CountAsync(cs, schema, WebhookDeliveryStatus.Succeeded) == 1, "the delivery recorded");
        (await Pg.ScalarAsync<long>(cs, $"SELECT count(*) FROM {schema}.deliveries")).Should().Be(1);
    }

    /// <summary>
    /// Defect 7: a publish holding the app's transaction took a second pooled connection for the
    /// subscriber lookup; with the app's data source at its pool limit every publish waited for the
    /// pool and failed. Now the lookup and the enqueue run on the transaction's connection: on a data
    /// source of one connection, held by the app, transactional publishes succeed and are delivered.
    /// </summary>
    [Fact]
    public async Task PublishInTransaction_AppDataSourceAtItsPoolLimit_HoldsOneConnectionAndSucceeds()
    {
        const string schema = "outbox_pool";
        var cs = await cluster.CreateDatabaseAsync("outbox");
        await using var receiver = await TestReceiver.StartAsync();
        await using (var setup = await PgHosts.StartAsync(cs, schema, start: false))
        {
            await PgHosts.SubscribeAsync(setup, receiver.Url(), "orders");
        }

        // The app's data source, shared with the webhooks: one connection, and a pool wait of 2 s before failing.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cs) { MaxPoolSize = 1, Timeout = 2 }.ConnectionString);
        await using (var publisher = await WebhookHost.StartAsync(b => b.AddEventType("order.created").UsePostgreSql(dataSource, o =>
        {
            o.Schema = schema;
            o.ListenForNotifications = false;
        }), start: false))
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var ids = new List<string>();
            for (int i = 0; i < 5; i++)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                var result = await publisher.Publisher.PublishAsync("order.created", new { id = i }, transaction, new() { IdempotencyKey = $"order-{i}" })
                    .WaitAsync(TimeSpan.FromSeconds(20));
                result.DeliveryCount.Should().Be(1);
                ids.Add(result.MessageId);
                await transaction.CommitAsync();
            }

            // The dispatcher runs elsewhere; this one only checks what was committed.
            await using var check = new NpgsqlCommand($"SELECT count(*) FROM {schema}.deliveries", connection);
            ((long)(await check.ExecuteScalarAsync())!).Should().Be(5);
        }

        await using var dispatcher = await PgHosts.StartAsync(cs, schema);
        await receiver.WaitForAsync(5, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task PublishInTransaction_FinishedTransaction_Throws()
    {
        var cs = await cluster.CreateDatabaseAsync("outbox");
        await using var host = await PgHosts.StartAsync(cs, "outbox_finished", start: false);
        await PgHosts.SubscribeAsync(host, "http://127.0.0.1:9/hook", "orders");
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await transaction.CommitAsync();

        var publish = () => host.Publisher.PublishAsync("order.created", new { id = 1 }, transaction);

        await publish.Should().ThrowAsync<WebhookException>().WithMessage("*already been committed or rolled back*");
    }

    [Fact]
    public async Task PublishInTransaction_WithoutPostgreSqlStore_ThrowsInsteadOfSilentlyIgnoringTheTransaction()
    {
        var cs = await cluster.CreateDatabaseAsync("outbox");
        await using var host = await WebhookHost.StartAsync(b => b.AddEventType("order.created"), start: false);
        await PgHosts.SubscribeAsync(host, "http://127.0.0.1:9/hook", "in-memory");
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        var publish = () => host.Publisher.PublishAsync("order.created", new { id = 1 }, transaction);

        await publish.Should().ThrowAsync<WebhookException>().WithMessage("*UsePostgreSql*");
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    public sealed record OrderPlaced(int OrderId);
}
