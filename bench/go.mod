module github.com/omnistack/omnistack/bench

go 1.26

replace github.com/omnistack/omnistack => ../
