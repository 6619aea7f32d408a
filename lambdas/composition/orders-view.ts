import { paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWAITING_PAYMENT, AWAITING_PAYMENT_INDEX, OPEN_PAYMENTS_INDEX, PAYMENT_OPEN } from '../domain/orders/index.ts';

/** Order ids from one of the view's sparse indexes, oldest first: eventually consistent, a nomination to be judged against the event store. */
async function* nominated(
  client: DynamoDBDocumentClient,
  viewTable: string,
  indexName: string,
  keyCondition: string,
  values: Record<string, string>,
): AsyncGenerator<string> {
  const pages = paginateQuery(
    { client, pageSize: 100 },
    {
      TableName: viewTable,
      IndexName: indexName,
      KeyConditionExpression: keyCondition,
      ExpressionAttributeValues: values,
      ProjectionExpression: 'orderId',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) yield String(item.orderId);
}

/**
 * Ids of the orders still awaiting payment that were placed before `placedBefore`, from the sparse index
 * that holds only unpaid orders, so the query reads nothing else.
 */
export function unpaidOrdersPlacedBefore(client: DynamoDBDocumentClient, viewTable: string, placedBefore: string): AsyncGenerator<string> {
  // customerOrderKey is `${placedAt}#${orderId}`: below the bare timestamp means placed strictly before it.
  return nominated(client, viewTable, AWAITING_PAYMENT_INDEX, 'awaitingPayment = :placed AND customerOrderKey < :before', {
    ':placed': AWAITING_PAYMENT,
    ':before': placedBefore,
  });
}

/** Ids of the orders whose payment saga has had a step open (a charge in flight, a refund owed) since before `openBefore`. */
export function ordersWithPaymentsOpenSince(client: DynamoDBDocumentClient, viewTable: string, openBefore: string): AsyncGenerator<string> {
  return nominated(client, viewTable, OPEN_PAYMENTS_INDEX, 'paymentOpen = :open AND paymentOpenSince < :before', {
    ':open': PAYMENT_OPEN,
    ':before': openBefore,
  });
}
