/** Prints when each record arrived, for the bench to pair with when it was sent. */
export async function handler(event: { Records: { body?: string; dynamodb?: { NewImage?: { pk?: { S?: string } } } }[] }): Promise<void> {
  const at = Date.now();
  for (const record of event.Records) {
    const id = record.dynamodb?.NewImage?.pk?.S ?? record.body;
    console.log(JSON.stringify({ stamp: id, at }));
  }
}
