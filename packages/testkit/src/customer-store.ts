/**
 * A customer held by the simulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Customer {
  readonly id: number
  readonly mobile?: string
  readonly email?: string
  readonly firstname?: string
  readonly lastname?: string
}

/**
 * One customer is seeded so a read works out of the box (the CLI's curl example uses it).
 *
 * @since 0.1.0
 * @category constants
 */
export const SAMPLE_CUSTOMER: Customer = {
  id: 1,
  mobile: "919876543210",
  firstname: "Sample",
  lastname: "Customer"
}

/** The in-memory customer table, indexed by id and mobile. */
export class CustomerStore {
  private byId = new Map<number, Customer>()
  private byMobile = new Map<string, number>()
  private nextId = 1

  constructor() {
    this.reset()
  }

  reset(): void {
    this.byId.clear()
    this.byMobile.clear()
    this.nextId = 1
    this.upsert(SAMPLE_CUSTOMER)
  }

  /** Adds a customer, or updates the one with the same mobile. */
  upsert(fields: Omit<Customer, "id"> & { id?: number }): Customer {
    const existing = fields.mobile !== undefined ? this.byMobile.get(fields.mobile) : undefined
    const id = existing ?? this.nextId++
    const customer = { ...this.byId.get(id), ...fields, id }
    this.byId.set(id, customer)
    if (customer.mobile !== undefined) this.byMobile.set(customer.mobile, id)
    return customer
  }

  get(id: number): Customer | undefined {
    return this.byId.get(id)
  }

  byMobileNumber(mobile: string): Customer | undefined {
    const id = this.byMobile.get(mobile)
    return id === undefined ? undefined : this.byId.get(id)
  }
}
