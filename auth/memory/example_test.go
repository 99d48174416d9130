package memory_test

import (
	"context"
	"fmt"

	"github.com/omnistack/omnistack/auth"
	"github.com/omnistack/omnistack/auth/memory"
)

func ExampleNew() {
	store, err := memory.New(memory.Config{})
	if err != nil {
		panic(err)
	}
	users, _ := auth.NewUsers(store, auth.UsersConfig{})
	ctx := context.Background()
	u, created, _ := users.Sync(ctx, auth.Identity{Subject: "user_1", Email: "ada@example.com", Name: "Ada"})
	fmt.Println(created, u.Email, u.Role)
	_, total, _ := store.List(ctx, auth.UserQuery{Search: "ADA"})
	fmt.Println(total)
	// Output:
	// true ada@example.com user
	// 1
}
